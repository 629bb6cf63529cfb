// queue-bench: the Swift side of scripts/bench-claim (not a test).
//
//   queue-bench claim DATABASE ROWS CLAIMS BATCH
//
// Fills a new queue at DATABASE (sqlite:PATH, or a postgres:// URL: a new schema there, dropped
// afterwards) with ROWS unsent requests: priorities 0, 1 and 2, one in seven scheduled a day
// ahead, the others due at spread-out times. Then times CLAIMS claims of BATCH requests each
// through `QueueStore.claim`, as a sender makes them (each batch marked sent afterwards, outside
// the timing), with the claim index; then drops that index and times the same claim again (the
// "unindexed variant": the version 3 `(status, next_attempt_at)` index and a sort). Between the
// two, the index's worst case: the due requests of priorities 1 and 2 marked sent, so each claim
// reads past the ones of those priorities scheduled ahead (`stepping-over-N`, N such rows), and
// the same shape claimed as claims were made before they went one priority at a time: one scan
// of the claim index over every priority (`stepping-over-N-one-scan`, the statements of then,
// kept here as the comparison).
// Prints one line per variant: `variant=indexed claims=N batch=B p50_ms=… p90_ms=… max_ms=… fill_s=…`.
import Foundation
import MailQueue

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("queue-bench: \(message)\n".utf8))
    exit(2)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// Fills the request table with `rows` unsent requests in one statement.
func fill(_ database: any QueueDatabase, rows: Int, now: Int64) throws(QueueError) {
    let dialect = database.dialect
    let day: Int64 = 86_400_000
    // Due ones spread over the past day; one in seven a day ahead.
    let select = """
        SELECT 'r' || CAST(g AS TEXT), 'bench', 'a@example.com', 'UTF-8', 'b', 'unsent', \(now - day) + g, \
        CASE WHEN g % 7 = 0 THEN \(now + day) + g ELSE \(now - day) + (g * 37 % \(day)) END, \
        '<r' || CAST(g AS TEXT) || '@example.com>', g % 3
        """
    let insert = """
        INSERT INTO mail_request (id, subject, from_address, charset, body, status, requested_at, next_attempt_at, \
        message_id, priority)
        """
    let sql = dialect == .postgres ? "\(insert) \(select) FROM generate_series(1, \(rows)) AS s(g)"
        : "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < \(rows)) \(insert) \(select) FROM s"
    _ = try database.transaction { (db) throws(QueueError) in
        try db.execute(SQLStatement(dialect, sql))
    }
    // PostgreSQL's planner needs its statistics (autovacuum would gather them soon after a
    // load this size); SQLite's queue never runs ANALYZE, so none there.
    if dialect == .postgres {
        _ = try database.transaction { (db) throws(QueueError) in try db.execute(SQLStatement(dialect, "ANALYZE mail_request")) }
    }
}

/// Times `claims` claims of `batch` each (`QueueStore.claim`, or `claim`); each batch is marked
/// sent afterwards, untimed.
func timeClaims(_ store: QueueStore, claims: Int, batch: Int,
                claim: ((String) throws(QueueError) -> [String])? = nil) throws(QueueError) -> [Double] {
    var times: [Double] = []
    let clock = ContinuousClock()
    for index in 0..<claims {
        let owner = "bench-\(index)"
        let start = clock.now
        let ids: [String]
        if let claim { ids = try claim(owner) } else { ids = try store.claim(owner: owner, limit: batch, leaseMillis: 300_000, pattern: nil) }
        times.append(milliseconds(clock.now - start))
        if ids.count != batch { fail("claim \(index) took \(ids.count) requests, not \(batch)") }
        try store.markSent(ids.map { SentMark(id: $0, refused: nil) }, owner: owner)
    }
    return times.sorted()
}

/// A text column's value.
func text(_ value: SQLValue) -> String? {
    if case .text(let text) = value { return text }
    return nil
}

/// A claim as it was made before claims went one priority at a time: one scan of the claim
/// index over every priority for the unsent requests (and one for expired leases), merged.
func oneScanClaim(_ store: QueueStore, owner: String, batch: Int) throws(QueueError) -> [String] {
    let database = store.database, dialect = database.dialect, now = store.now()
    let select = "SELECT id AS claim_id, priority AS claim_priority, next_attempt_at AS claim_due FROM mail_request"
    let order = "ORDER BY priority DESC, next_attempt_at, id LIMIT \(batch)"
    let lock = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
    let hint = dialect == .sqlite ? " INDEXED BY mail_request_claim" : ""
    let unsent = "\(select)\(hint) WHERE status = 'unsent' AND next_attempt_at <= \(now) \(order)\(lock)"
    let expired = "\(select) WHERE status = 'sending' AND lease_until < \(now) \(order)\(lock)"
    let merge = "ORDER BY claim_priority DESC, claim_due, claim_id LIMIT \(batch)"
    let update = """
        UPDATE mail_request SET status = 'sending', lease_owner = '\(owner)', lease_until = \(now + 300_000), attempts = attempts + 1
        """
    return try database.transaction { (db) throws(QueueError) -> [String] in
        if dialect == .postgres {
            return try db.query(SQLStatement(dialect, """
                WITH due_0 AS (\(unsent)), due_1 AS (\(expired)), picked AS (SELECT claim_id FROM \
                (SELECT * FROM due_0 UNION ALL SELECT * FROM due_1) AS due \(merge)), claimed AS (\(update) \
                WHERE id IN (SELECT claim_id FROM picked) RETURNING id) SELECT id FROM claimed
                """)).compactMap { $0.first.flatMap(text) }
        }
        let ids = try db.query(SQLStatement(dialect, """
            SELECT claim_id FROM (SELECT * FROM (\(unsent)) UNION ALL SELECT * FROM (\(expired))) \(merge)
            """)).compactMap { $0.first.flatMap(text) }
        if !ids.isEmpty {
            _ = try db.execute(SQLStatement(dialect, "\(update) WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))",
                                            ids.map { SQLValue.text($0) }))
        }
        return ids
    }
}

func run(database value: String, rows: Int, claims: Int, batch: Int) throws(QueueError) {
    var url = value
    var dropSchema: (() -> Void)?
    var vacuum: (() throws(QueueError) -> Void)?
    if value.hasPrefix("postgres") {
        let schema = "claim_bench_\(getpid())"
        let admin = try PostgresConnection(url: value)
        try admin.simple("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        try admin.simple("CREATE SCHEMA \(schema)")
        dropSchema = { try? admin.simple("DROP SCHEMA \(schema) CASCADE") }
        vacuum = { () throws(QueueError) in try admin.simple("VACUUM ANALYZE \(schema).mail_request") }
        url += (value.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }
    defer { dropSchema?() }
    let database = try DatabaseURL.open(url, create: true)
    let store = QueueStore(database: database)
    try store.migrate()
    let clock = ContinuousClock()
    let started = clock.now
    try fill(database, rows: rows, now: store.now())
    let fillSeconds = milliseconds(clock.now - started) / 1000
    // A first claim warms the caches, as in a running sender; not counted.
    _ = try timeClaims(store, claims: 1, batch: batch)
    let indexed = try timeClaims(store, claims: claims, batch: batch)
    print(String(format: "variant=indexed claims=%d batch=%d p50_ms=%.3f p90_ms=%.3f max_ms=%.3f fill_s=%.1f",
                 claims, batch, percentile(indexed, 0.5), percentile(indexed, 0.9), indexed.last ?? 0, fillSeconds))
    // The claim's worst case: every due request of priority 1 and 2 gone, so a claim of
    // priority-0 requests reads past the ones of priority 1 and 2 scheduled a day ahead.
    let steppedOver = try database.transaction { (db) throws(QueueError) -> Int in
        _ = try db.execute(SQLStatement(database.dialect, """
            UPDATE mail_request SET status = 'sent' WHERE status = 'unsent' AND priority > 0 AND next_attempt_at <= ?
            """, [.integer(store.now())]))
        let row = try db.query(SQLStatement(database.dialect, """
            SELECT COUNT(*) FROM mail_request WHERE status = 'unsent' AND priority > 0
            """)).first?.first
        switch row {
        case .integer(let count)?: return Int(count)
        case .text(let count)?: return Int(count) ?? 0  // PostgreSQL's text results
        default: return 0
        }
    }
    // The rows just marked sent leave dead entries in PostgreSQL's indexes until a vacuum
    // (autovacuum, in a running queue) removes them: the claims are timed after one.
    try vacuum?()
    _ = try timeClaims(store, claims: 1, batch: batch)
    let stepping = try timeClaims(store, claims: claims, batch: batch)
    print(String(format: "variant=stepping-over-%d claims=%d batch=%d p50_ms=%.3f p90_ms=%.3f max_ms=%.3f fill_s=0",
                 steppedOver, claims, batch, percentile(stepping, 0.5), percentile(stepping, 0.9), stepping.last ?? 0))
    let oneScan: (String) throws(QueueError) -> [String] = { (owner) throws(QueueError) in
        try oneScanClaim(store, owner: owner, batch: batch)
    }
    _ = try timeClaims(store, claims: 1, batch: batch, claim: oneScan)
    let before = try timeClaims(store, claims: claims, batch: batch, claim: oneScan)
    print(String(format: "variant=stepping-over-%d-one-scan claims=%d batch=%d p50_ms=%.3f p90_ms=%.3f max_ms=%.3f fill_s=0",
                 steppedOver, claims, batch, percentile(before, 0.5), percentile(before, 0.9), before.last ?? 0))
    // Without the claim index's order. SQLite's claim names the index (INDEXED BY), so there it
    // becomes a partial index of ids: every unsent row read, then sorted, as with no index.
    let requests = QueueSchema().requests, claimIndex = "\"\(SchemaStatements.claimIndex(requests))\""
    _ = try database.transaction { (db) throws(QueueError) in
        _ = try db.execute(SQLStatement(database.dialect, "DROP INDEX \(claimIndex)"))
        if database.dialect == .sqlite {
            _ = try db.execute(SQLStatement(.sqlite, """
                CREATE INDEX \(claimIndex) ON mail_request (id) WHERE \(SchemaStatements.unsentCondition(requests))
                """))
        }
    }
    if database.dialect == .postgres {
        _ = try database.transaction { (db) throws(QueueError) in try db.execute(SQLStatement(.postgres, "ANALYZE mail_request")) }
    }
    let unindexedClaims = max(3, claims / 10)
    _ = try timeClaims(store, claims: 1, batch: batch)
    let unindexed = try timeClaims(store, claims: unindexedClaims, batch: batch)
    print(String(format: "variant=unindexed claims=%d batch=%d p50_ms=%.3f p90_ms=%.3f max_ms=%.3f fill_s=0",
                 unindexedClaims, batch, percentile(unindexed, 0.5), percentile(unindexed, 0.9), unindexed.last ?? 0))
}

let arguments = CommandLine.arguments
guard arguments.count == 6, arguments[1] == "claim", let rows = Int(arguments[3]), let claims = Int(arguments[4]),
      let batch = Int(arguments[5]), rows > 0, claims > 0, batch > 0, rows >= (3 * claims + claims / 10 + 10) * batch * 3
else {
    fail("usage: queue-bench claim DATABASE ROWS CLAIMS BATCH (whole numbers; ROWS enough for every claim)")
}
do {
    try run(database: arguments[2], rows: rows, claims: claims, batch: batch)
} catch {
    fail("\(error)")
}
