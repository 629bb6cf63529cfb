import Foundation
@testable import MailQueue
import Testing

/// The claim reads its batch from the claim index (schema version 4) in order and stops: no
/// sort of every due row, no scan of the table, in both dialects, on a table big enough for
/// the planner to care; and `init` migrates a version 3 database to it.
@Suite("Claim index (schema versions 4 and 5)")
struct ClaimIndexTests {
    static let rows = 100_000

    /// Fills the request table with `rows` rows: nine in ten unsent (priorities 0, 1, 2; some
    /// due, some scheduled ahead), the rest sent.
    static func fill(_ database: any QueueDatabase, dialect: SQLDialect) throws {
        let select = """
            SELECT 'r' || CAST(g AS TEXT), 's', 'a@example.com', 'UTF-8', 'b', CASE WHEN g % 10 = 0 THEN 'sent' ELSE 'unsent' END, \
            g, CASE WHEN g % 7 = 0 THEN 2000000 + g ELSE g END, 'm' || CAST(g AS TEXT), g % 3
            """
        let insert = """
            INSERT INTO mail_request (id, subject, from_address, charset, body, status, requested_at, next_attempt_at, \
            message_id, priority)
            """
        let sql = dialect == .postgres ? "\(insert) \(select) FROM generate_series(1, \(rows)) AS s(g)"
            : "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < \(rows)) \(insert) \(select) FROM s"
        _ = try database.transaction { (db) throws(QueueError) in try db.execute(SQLStatement(dialect, sql)) }
    }

    /// The plan's lines for `statement`.
    static func plan(_ statement: SQLStatement, on database: any QueueDatabase) throws -> [String] {
        let explain = database.dialect == .sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN "
        return try database.read { (db) throws(QueueError) -> [String] in
            try db.query(SQLStatement(database.dialect, explain + statement.sql, statement.bindings)).map { row in
                // SQLite: id, parent, notused, detail; PostgreSQL: one text column.
                row.last?.text ?? ""
            }
        }
    }

    @Test("SQLite: the claim's priorities and each unsent scan read the claim index as a range at one priority ending at now (no sort, no table); the in-flight scans search by status; before and after ANALYZE")
    func sqlitePlan() throws {
        let (store, _) = try makeSQLiteStore()
        try Self.fill(store.database, dialect: .sqlite)
        let statements = SenderStatements(dialect: .sqlite)
        let priorities = statements.duePriorities(now: 1_000_000, limit: 200, pattern: nil)
        let statement = try #require(statements.dueIDs(now: 1_000_000, limit: 200, priorities: [2, 1, 0], pattern: nil,
                                                       resendUncertain: true))
        for analysed in [false, true] {
            if analysed { _ = try store.database.transaction { (db) throws(QueueError) in try db.execute(SQLStatement(.sqlite, "ANALYZE")) } }
            let probes = try Self.plan(priorities, on: store.database).filter { $0.contains("mail_request") }
            #expect(probes.count == 3, "the highest priority, the next below, the due ones at one: \(probes)")
            // The first: the partial index's first entry; each next: a search below the last.
            #expect(probes.allSatisfy { $0.contains("INDEX mail_request_claim") }, "analysed \(analysed): \(probes)")
            #expect(probes.dropFirst().allSatisfy { $0.hasPrefix("SEARCH") }, "analysed \(analysed): \(probes)")
            #expect(probes.last?.contains("(priority=? AND next_attempt_at<?)") == true, "the count is a range: \(probes)")
            let lines = try Self.plan(statement, on: store.database)
            let scans = lines.filter { $0.contains("mail_request") }
            #expect(scans.count == 5, "one per priority, then expired leases and uncertain ones: \(lines)")
            // A range that ends at the due time: the requests scheduled later at that priority,
            // or at a higher one, are never read.
            for line in scans.prefix(3) {
                #expect(line.hasPrefix("SEARCH") && line.contains("INDEX mail_request_claim (priority=? AND next_attempt_at<?)"),
                        "analysed \(analysed): \(line)")
            }
            for line in scans.dropFirst(3) {
                #expect(line.hasPrefix("SEARCH") && line.contains("(status=?"), "analysed \(analysed): \(line)")
            }
            // The unsent scans come in the index's order, not sorted (the caller merges them;
            // the in-flight scans may sort their few rows).
            for (index, line) in lines.enumerated() where line.contains("mail_request_claim") && index + 1 < lines.count {
                #expect(!lines[index + 1].contains("TEMP B-TREE"), "analysed \(analysed): \(lines)")
            }
        }
    }

    @Test("Schema version 5: claiming, marking uncertain and sending a request moves the claim index's entry once and the finished index's once")
    func partialIndexes() throws {
        let (store, _) = try makeSQLiteStore()
        let id = try store.enqueue(ScheduleTests.scheduled("one", at: nil, priority: 0))
        func entries(_ index: String) throws -> Int {
            try store.database.read { (db) throws(QueueError) -> Int in
                Int(try db.query(SQLStatement(.sqlite, "SELECT COUNT(*) FROM mail_request INDEXED BY \(index) WHERE \(index == "mail_request_claim" ? "status = 'unsent'" : "finished_at IS NOT NULL")")).first?.first?.integer ?? -1)
            }
        }
        #expect(try entries("mail_request_claim") == 1 && entries("mail_request_finished") == 0)
        #expect(try store.claim(owner: "S", limit: 10, leaseMillis: 60_000, pattern: nil) == [id])
        #expect(try entries("mail_request_claim") == 0, "a claimed request leaves the claim index")
        #expect(try store.markUncertain(id, owner: "S", recordingSent: []))
        try store.markSent(id, owner: "S", refused: nil)
        #expect(try entries("mail_request_claim") == 0 && entries("mail_request_finished") == 1)
    }

    @Test("PostgreSQL: the claim's scan of unsent requests is an index scan of the claim index (no sort of the due rows, no table scan)")
    func postgresPlan() throws {
        try withPostgresQueue { store, _ in
            try Self.fill(store.database, dialect: .postgres)
            _ = try store.database.transaction { (db) throws(QueueError) in try db.execute(SQLStatement(.postgres, "ANALYZE mail_request")) }
            let statements = SenderStatements(dialect: .postgres)
            let probes = try Self.plan(statements.duePriorities(now: 1_000_000, limit: 200, pattern: nil), on: store.database)
                .joined(separator: "\n")
            #expect(!probes.contains("Seq Scan on mail_request") && probes.contains("mail_request_claim on mail_request"), "\(probes)")
            let statement = try #require(statements.claimSkipLocked(
                now: 1_000_000, limit: 200, priorities: [2, 1, 0], owner: "S", leaseUntil: 2_000_000, pattern: nil,
                resendUncertain: true))
            let lines = try Self.plan(statement, on: store.database)
            let text = lines.joined(separator: "\n")
            #expect(!text.contains("Seq Scan on mail_request"), "\(text)")
            // The unsent scan is the first CTE. (The expired-lease and uncertain scans read the
            // few in-flight rows; the planner may sort those.)
            guard let first = lines.firstIndex(where: { $0.contains("CTE due_0") }),
                  let next = lines.firstIndex(where: { $0.contains("CTE due_1") }), first < next else {
                Issue.record("no CTE due_0 in the plan: \(text)")
                return
            }
            let unsent = lines[first..<next].joined(separator: "\n")
            #expect(unsent.contains("Scan using mail_request_claim on mail_request"), "\(unsent)")
            #expect(unsent.contains("priority = 2") && unsent.contains("next_attempt_at <="),
                    "a range at priority 2 ending at the due time, in the index condition: \(unsent)")
            #expect(!unsent.contains("Filter: (next_attempt_at"), "no request is read only to be left: \(unsent)")
            #expect(!unsent.contains("Sort"), "the due rows are not sorted: \(unsent)")
        }
    }

    /// A version 3 queue with one unsent request, migrated by `migrate` (what `init` runs).
    static func checkMigration(_ database: any QueueDatabase, indexQuery: String) throws {
        let statements = SchemaStatements(dialect: database.dialect)
        _ = try database.transaction { (db) throws(QueueError) in
            try db.execute(statements.createVersionTable)
            for statement in statements.migrations(from: 0).prefix(while: { !$0.sql.contains("not_before") }) {
                try db.execute(statement)
            }
            try db.execute(SQLStatement(database.dialect, """
                INSERT INTO mail_request (id, subject, from_address, charset, body, status, requested_at, next_attempt_at, message_id) \
                VALUES ('old', 's', 'a@example.com', 'UTF-8', 'b', 'unsent', 1, 1, '<old@example.com>')
                """))
        }
        let store = QueueStore(database: database)
        #expect(throws: QueueError.self, "a version 3 database is refused until migrated") { try store.checkSchema() }
        #expect(try store.migrate() == 3)
        try store.checkSchema()
        #expect(try store.migrate() == SchemaStatements.currentVersion, "migrating again changes nothing")
        let indexes = try database.read { (db) throws(QueueError) -> [[SQLValue]] in try db.query(SQLStatement(database.dialect, indexQuery)) }
        #expect(indexes.count == 1 && indexes.first?.first?.text?.contains("WHERE") == true, "the claim index exists, partial: \(indexes)")
        let details = try store.details("old")
        #expect(details.request.notBefore == nil && details.request.priority == 0)
        let urgent = try store.enqueue(ScheduleTests.scheduled("urgent", at: nil, priority: 3))
        #expect(try store.claim(owner: "S", limit: 10, leaseMillis: 60_000, pattern: nil) == [urgent, "old"])
    }

    @Test("SQLite: init migrates a version 3 queue to the current version; its requests keep going")
    func sqliteMigration() throws {
        let path = try temporaryDirectory() + "/v3.sqlite"
        try Self.checkMigration(try SQLiteQueueDatabase(path: path),
                                indexQuery: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'mail_request_claim'")
    }

    @Test("PostgreSQL: init migrates a version 3 queue to the current version; its requests keep going")
    func postgresMigration() throws {
        guard let url = TestEnvironment.required("MAIL_QUEUE_TEST_POSTGRES") else { return }
        let schemaName = "mq_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try PostgresConnection(url: url)
        try admin.simple("CREATE SCHEMA \(schemaName)")
        defer { try? admin.simple("DROP SCHEMA \(schemaName) CASCADE") }
        let scoped = url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schemaName)"
        try Self.checkMigration(try PostgresQueueDatabase(url: scoped), indexQuery: """
            SELECT indexdef FROM pg_indexes WHERE schemaname = '\(schemaName)' AND indexname = 'mail_request_claim'
            """)
    }
}
