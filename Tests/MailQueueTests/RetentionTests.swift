import Foundation
@testable import MailQueue
import Testing

/// Retention: `purge` removes only finished requests old enough (with their recipients and
/// attachments), never an uncertain or unsent one, a small batch per transaction, while a
/// sender claims and marks on another connection; SQLite gives the pages back.
@Suite("Retention (purge)")
struct RetentionTests {
    static let rows = 100_000
    static let day: Int64 = 86_400_000

    @Test("SQLite: 100,000 rows purged while a sender runs; only old sent/failed go; the sender never waits 100 ms for the lock")
    func sqlite() throws {
        let (store, path) = try makeSQLiteStore()
        // The sender waits at most 100 ms for the write lock: a longer hold fails its transaction.
        try check(store, other: { () throws(QueueError) in
            QueueStore(database: try SQLiteQueueDatabase(path: path, busyTimeout: 0.1))
        })
    }

    @Test("PostgreSQL: 100,000 rows purged while a sender runs; only old sent/failed go; the sender never waits 100 ms for a lock")
    func postgres() throws {
        try withPostgresQueue { store, url in
            // The sender waits at most 100 ms for any lock: a longer wait fails its statement.
            try check(store, other: { () throws(QueueError) in
                let database = try PostgresQueueDatabase(url: url)
                _ = try database.transaction { (db) throws(QueueError) in
                    try db.execute(SQLStatement(.postgres, "SET lock_timeout = '100ms'"))
                }
                return QueueStore(database: database)
            })
        }
    }

    @Test("A SQLite file made before retention (auto_vacuum off, schema version 2) is migrated by init and vacuumed")
    func migratesOldFile() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/old.sqlite"
        let old = try SQLiteQueueDatabase(path: path)
        let statements = SchemaStatements(dialect: .sqlite)
        _ = try old.transaction { (db) throws(QueueError) in
            try db.execute(statements.createVersionTable)
            for statement in statements.migrations(from: 0).prefix(while: { !$0.sql.contains("finished_at") }) {
                try db.execute(statement)
            }
        }
        #expect(try scalar(old, "SELECT MAX(version) FROM mail_queue_version") == 2)
        #expect(try scalar(old, "PRAGMA auto_vacuum") == 0)
        let store = QueueStore(database: old)
        // A request sent 40 days ago under version 2 (no finished_at): counted from sent_at.
        _ = try old.transaction { (db) throws(QueueError) in
            try db.execute(SQLStatement(.sqlite, """
                INSERT INTO mail_request (id, subject, from_address, charset, body, status, requested_at, sent_at, \
                next_attempt_at, message_id) VALUES ('old', 's', 'a@example.com', 'UTF-8', 'b', 'sent', ?, ?, ?, '<old@example.com>')
                """, [.integer(Clock.milliseconds() - 41 * Self.day), .integer(Clock.milliseconds() - 40 * Self.day),
                      .integer(Clock.milliseconds() - 41 * Self.day)]))
        }
        #expect(try store.migrate() == 2)
        #expect(try scalar(old, "PRAGMA auto_vacuum") == 2, "INCREMENTAL after init")
        let report = try store.purge(RetentionPolicy(sentMillis: 30 * Self.day))
        #expect(report.removed[.sent] == 1)
    }

    @Test("A purge batch that held its transaction past the target is halved, a quick one doubled back, within 10...largest")
    func batchSizeFollowsTime() {
        let target = PurgeReport.batchTargetMillis
        #expect(PurgeReport.nextBatchSize(after: 200, heldMillis: target * 3, largest: 200) == 100)
        #expect(PurgeReport.nextBatchSize(after: 12, heldMillis: target * 3, largest: 200) == 10)
        #expect(PurgeReport.nextBatchSize(after: 100, heldMillis: target / 10, largest: 200) == 200)
        #expect(PurgeReport.nextBatchSize(after: 200, heldMillis: target / 10, largest: 200) == 200)
        #expect(PurgeReport.nextBatchSize(after: 100, heldMillis: target / 2, largest: 200) == 100)
        #expect(PurgeReport.nextBatchSize(after: 1, heldMillis: target * 3, largest: 1) == 1)
    }

    @Test("Durations: 90s 15m 12h 30d; bad ones named")
    func durations() throws {
        #expect(try RetentionDuration.milliseconds("90s", field: "x") == 90_000)
        #expect(try RetentionDuration.milliseconds("15m", field: "x") == 900_000)
        #expect(try RetentionDuration.milliseconds("12h", field: "x") == 43_200_000)
        #expect(try RetentionDuration.milliseconds("30d", field: "x") == 30 * Self.day)
        for bad in ["", "30", "d", "-1d", "0d", "1.5h", "30 d", "99999999999d", "1w"] {
            #expect(throws: QueueError.self, "\(bad)") { try RetentionDuration.milliseconds(bad, field: "--sent-older-than") }
        }
        do {
            _ = try RetentionDuration.milliseconds("30x", field: "--sent-older-than")
        } catch {
            #expect("\(error)".contains("--sent-older-than '30x'"))
        }
    }

    @Test("CLI: purge --dry-run counts and changes nothing; purge removes; a bad duration exits 2 naming it")
    func cli() throws {
        let queue = try CLIQueue()
        let oldID = try queue.enqueue("old")
        let youngID = try queue.enqueue("young")
        let database = try SQLiteQueueDatabase(path: queue.path)
        try database.transaction { (db) throws(QueueError) in
            try db.execute(SQLStatement(.sqlite, "UPDATE mail_request SET status = 'sent', finished_at = ? WHERE id = ?",
                                        [.integer(Clock.milliseconds() - 2 * Self.day), .text(oldID)]))
            try db.execute(SQLStatement(.sqlite, "UPDATE mail_request SET status = 'sent', finished_at = ? WHERE id = ?",
                                        [.integer(Clock.milliseconds() - 3_600_000), .text(youngID)]))
        }
        let dry = try queue.run(["purge", "--sent-older-than", "1d", "--dry-run"])
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.stdout.contains("would remove 1 request(s): 1 sent"), "\(dry.stdout)")
        #expect(try queue.counts()["sent"] == 2)
        let real = try queue.run(["purge", "--sent-older-than", "1d"])
        #expect(real.status == 0, "\(real.output)")
        #expect(real.stdout.contains("removed 1 request(s): 1 sent"), "\(real.stdout)")
        #expect(try queue.counts()["sent"] == 1)
        #expect(try queue.run(["show", youngID]).status == 0)
        let bad = try queue.run(["purge", "--failed-older-than", "3 weeks"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--failed-older-than '3 weeks'"), "\(bad.stderr)")
        let none = try queue.run(["purge"])
        #expect(none.status == 2)
    }

    // MARK: - The load test

    /// Fills `store` with `rows` requests (a tenth each: old sent ×4, young sent, old failed,
    /// young failed, old uncertain, unsent ×2), one recipient each and a 4 KiB attachment on
    /// one in a hundred; runs a sender (claim 20, mark them sent) on another connection, whose
    /// lock waits are bounded at 100 ms by the database, until the purge of sent > 30 days and
    /// failed > 90 days is over; then checks what is left.
    func check(_ store: QueueStore, other: @escaping @Sendable () throws(QueueError) -> QueueStore) throws {
        let dialect = store.database.dialect
        let now = Clock.milliseconds()
        let numbers = dialect == .sqlite
            ? "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(Self.rows)) SELECT i FROM n) AS n"
            : "generate_series(1, \(Self.rows)) AS n(i)"
        let blob = dialect == .sqlite ? "zeroblob(4096)" : "decode(repeat('00', 4096), 'hex')"
        let (oldSent, youngSent, oldFailed, youngFailed) = (now - 40 * Self.day, now - 29 * Self.day, now - 100 * Self.day,
                                                            now - 80 * Self.day)
        try store.database.transaction { (db) throws(QueueError) in
            try db.execute(SQLStatement(dialect, """
                INSERT INTO mail_request (id, subject, from_address, charset, body, status, requested_at, sent_at, \
                next_attempt_at, finished_at, message_id) \
                SELECT 'r' || i, 's', 'a@example.com', 'UTF-8', 'b', \
                CASE WHEN i % 10 < 5 THEN 'sent' WHEN i % 10 < 7 THEN 'failed' WHEN i % 10 = 7 THEN 'uncertain' ELSE 'unsent' END, \
                CAST(? AS BIGINT), NULL, CAST(? AS BIGINT), \
                CASE WHEN i % 10 < 4 THEN CAST(? AS BIGINT) WHEN i % 10 = 4 THEN CAST(? AS BIGINT) \
                WHEN i % 10 = 5 THEN CAST(? AS BIGINT) WHEN i % 10 = 6 THEN CAST(? AS BIGINT) ELSE NULL END, \
                '<m' || i || '@example.com>' FROM \(numbers)
                """, [.integer(now - 200 * Self.day), .integer(now - 1000), .integer(oldSent), .integer(youngSent),
                      .integer(oldFailed), .integer(youngFailed)]))
            try db.execute(SQLStatement(dialect, """
                INSERT INTO mail_recipient (request_id, seq, kind, address) SELECT id, 0, 'TO', 'bob@example.com' FROM mail_request
                """))
            try db.execute(SQLStatement(dialect, """
                INSERT INTO mail_attachment (request_id, seq, filename, content_type, data) \
                SELECT 'r' || i, 0, 'a.bin', 'application/octet-stream', \(blob) FROM \(numbers) WHERE i % 1000 < 10
                """))
        }
        if dialect == .sqlite {
            // The fill's WAL is copied back now, not during the purge (a checkpoint runs
            // after a commit, without the write lock, but inside the purge's timing).
            _ = try count(store, "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        #expect(try count(store, "SELECT COUNT(*) FROM mail_request") == Int64(Self.rows))
        let pagesBefore = dialect == .sqlite ? try count(store, "PRAGMA page_count") : 0

        // The sender: claims and marks on its own connection until the purge is over, timing
        // each transaction (a wait for the purge's lock shows in it).
        let done = Flag()
        let sender = SenderProbe()
        let thread = Thread {
            do {
                let mine = try other()
                let deadline = Date(timeIntervalSinceNow: 300)
                while !done.value && Date() < deadline {
                    var started = DispatchTime.now().uptimeNanoseconds
                    let ids = try mine.claim(owner: "probe", limit: 20, leaseMillis: 60_000, pattern: nil)
                    sender.note(since: started)
                    started = DispatchTime.now().uptimeNanoseconds
                    try mine.markSent(ids.map { SentMark(id: $0, refused: nil) }, owner: "probe")
                    sender.note(since: started)
                    sender.add(ids.count)
                }
            } catch {
                sender.fail("\(error)")
            }
            sender.finish()
        }
        thread.start()
        let report = try store.purge(RetentionPolicy(sentMillis: 30 * Self.day, failedMillis: 90 * Self.day))
        done.set()
        #expect(sender.waitFinished(seconds: 60))
        #expect(sender.error == nil, "\(sender.error ?? "")")

        let tenth = Self.rows / 10
        #expect(report.removed[.sent] == 4 * tenth)
        #expect(report.removed[.failed] == tenth)
        // A batch holding a lock the sender wants for over 100 ms failed the sender (its lock
        // wait is bounded at 100 ms): `sender.error` above. Wall-clock times, for the record
        // (on a loaded machine they include waiting for a CPU):
        print("purge (\(dialect)): \(report.batches) transactions, the longest \(report.longestBatchMillis) ms; "
            + "sender: \(sender.transactions) transactions, the longest \(sender.longestMillis) ms")
        #expect(sender.transactions > 10, "the sender ran during the purge (\(sender.transactions) transactions)")
        // Nothing too young, uncertain or unsent went; what the sender marked sent stays.
        #expect(try count(store, "SELECT COUNT(*) FROM mail_request WHERE status = 'sent'") == Int64(tenth + sender.marked))
        #expect(try count(store, "SELECT COUNT(*) FROM mail_request WHERE status = 'failed'") == Int64(tenth))
        #expect(try count(store, "SELECT COUNT(*) FROM mail_request WHERE status = 'uncertain'") == Int64(tenth))
        #expect(try count(store, "SELECT COUNT(*) FROM mail_request") == Int64(5 * tenth))
        // Recipients and attachments went with their requests, and only with them.
        #expect(try count(store, "SELECT COUNT(*) FROM mail_recipient") == Int64(5 * tenth))
        #expect(try count(store, """
            SELECT COUNT(*) FROM mail_attachment a WHERE NOT EXISTS (SELECT 1 FROM mail_request r WHERE r.id = a.request_id)
            """) == 0)
        #expect(try count(store, "SELECT COUNT(*) FROM mail_attachment") == Int64(5 * Self.rows / 1000))
        if dialect == .sqlite {
            #expect(report.pagesFreed > 0)
            #expect(try count(store, "PRAGMA freelist_count") == 0)
            #expect(try count(store, "PRAGMA page_count") < pagesBefore, "the file shrank")
        }
        // A second purge finds nothing.
        #expect(try store.purge(RetentionPolicy(sentMillis: 30 * Self.day, failedMillis: 90 * Self.day)).total == 0)
    }

    func count(_ store: QueueStore, _ sql: String) throws -> Int64 {
        try store.database.read { (db) throws(QueueError) -> Int64 in
            try db.query(SQLStatement(store.database.dialect, sql)).first?.first.flatMap { value -> Int64? in
                if case .integer(let n) = value { return n }
                if case .text(let t) = value { return Int64(t) }
                return nil
            } ?? -1
        }
    }

    func scalar(_ database: SQLiteQueueDatabase, _ sql: String) throws -> Int64 {
        try count(QueueStore(database: database), sql)
    }
}

/// A flag one thread sets and another reads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    var value: Bool { lock.withLock { raised } }
    func set() { lock.withLock { raised = true } }
}

/// What the probing sender saw: its longest transaction, how many, how many it marked sent.
final class SenderProbe: @unchecked Sendable {
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private(set) var longestMillis: Double = 0
    private(set) var transactions = 0
    private(set) var marked = 0
    private(set) var error: String?

    func note(since started: UInt64) {
        let millis = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        lock.withLock { longestMillis = max(longestMillis, millis); transactions += 1 }
    }
    func add(_ n: Int) { lock.withLock { marked += n } }
    func fail(_ text: String) { lock.withLock { error = text } }
    func finish() { finished.signal() }
    func waitFinished(seconds: Double) -> Bool { finished.wait(timeout: .now() + seconds) == .success }
}
