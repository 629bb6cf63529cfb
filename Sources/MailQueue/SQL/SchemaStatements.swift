/// SchemaStatements creates and migrates the queue's tables. Migrations are numbered; the
/// version table records the last one applied, so `init` can be run again safely.
public struct SchemaStatements: Sendable {
    /// The schema version this build writes and reads.
    public static let currentVersion = 5

    /// The dialect.
    public let dialect: SQLDialect
    /// The names.
    public let schema: QueueSchema

    /// Creates the builder.
    public init(dialect: SQLDialect, schema: QueueSchema = QueueSchema()) {
        self.dialect = dialect
        self.schema = schema
    }

    /// Creates the version table if missing (run first, then read `readVersion`).
    public var createVersionTable: SQLStatement {
        SQLStatement(dialect, "CREATE TABLE IF NOT EXISTS \(q(schema.versionTable)) (version INTEGER NOT NULL)")
    }

    /// Reads the recorded version: one row with one integer, or no row for a new database.
    public var readVersion: SQLStatement {
        SQLStatement(dialect, "SELECT MAX(version) FROM \(q(schema.versionTable))")
    }

    /// The statements that take the schema from `version` to `currentVersion` (empty when current).
    public func migrations(from version: Int) -> [SQLStatement] {
        var statements: [SQLStatement] = []
        if version < 1 { statements += version1 }
        if version < 2 { statements += version2 }
        if version < 3 { statements += version3 }
        if version < 4 { statements += version4 }
        if version < 5 { statements += version5 }
        return statements
    }

    /// Version 2: raw messages (the relay's), kept as bytes beside the other kinds.
    private var version2: [SQLStatement] {
        let r = schema.requests
        return [
            SQLStatement(dialect, "ALTER TABLE \(q(r.table)) ADD COLUMN \(q(r.rawMessage)) \(dialect.bytes)"),
            SQLStatement(dialect, "INSERT INTO \(q(schema.versionTable)) (version) VALUES (?)", [.integer(2)]),
        ]
    }

    /// Version 3: when a request finished (retention counts from it; rows finished before the
    /// migration count from when they were sent, else requested) and its priority, with an
    /// index per use: purges scan `(status, finished at)`.
    private var version3: [SQLStatement] {
        let r = schema.requests
        return [
            SQLStatement(dialect, "ALTER TABLE \(q(r.table)) ADD COLUMN \(q(r.finishedAt)) \(dialect.bigint)"),
            SQLStatement(dialect, "ALTER TABLE \(q(r.table)) ADD COLUMN \(q(r.priority)) INTEGER NOT NULL DEFAULT 0"),
            SQLStatement(dialect, """
                UPDATE \(q(r.table)) SET \(q(r.finishedAt)) = COALESCE(\(q(r.sentAt)), \(q(r.requestedAt))) \
                WHERE \(q(r.status)) IN (?, ?)
                """, [.text(RequestStatus.sent.rawValue), .text(RequestStatus.failed.rawValue)]),
            SQLStatement(dialect, """
                CREATE INDEX IF NOT EXISTS \(q(r.table + "_finished")) ON \(q(r.table)) (\(q(r.status)), \(q(r.finishedAt)))
                """),
            SQLStatement(dialect, "INSERT INTO \(q(schema.versionTable)) (version) VALUES (?)", [.integer(3)]),
        ]
    }

    /// Version 4: scheduled requests (`not_before`, kept for `show`; a request's first due time
    /// is set from it) and the claim's index. A claim takes due requests by priority, then due
    /// time; `(status, priority DESC, next attempt at, id)` hands them over in that order, so a
    /// claim reads its batch from the index and stops, with no sort of every due row.
    private var version4: [SQLStatement] {
        let r = schema.requests
        return [
            SQLStatement(dialect, "ALTER TABLE \(q(r.table)) ADD COLUMN \(q(r.notBefore)) \(dialect.bigint)"),
            SQLStatement(dialect, """
                CREATE INDEX IF NOT EXISTS \(q(Self.claimIndex(r))) ON \(q(r.table)) \
                (\(q(r.status)), \(q(r.priority)) DESC, \(q(r.nextAttemptAt)), \(q(r.id)))
                """),
            SQLStatement(dialect, "INSERT INTO \(q(schema.versionTable)) (version) VALUES (?)", [.integer(4)]),
        ]
    }

    /// Version 5: the claim's index holds unsent requests only, and the finished index finished
    /// ones only. An index entry moves whenever a column it holds changes, and `status` changes
    /// three times for every message sent (claimed, marked uncertain before the final dot,
    /// sent): with `status` in three full indexes every message rewrote nine index entries. Now
    /// the claim index loses its entry once (the claim), the finished index gains one (sent or
    /// failed), and only `(status, next attempt at)` follows every change. The claim's other
    /// scans (expired leases, uncertain requests) read the few in-flight rows through that
    /// index; purges name a `finished_at` bound, which implies it is set.
    private var version5: [SQLStatement] {
        let r = schema.requests
        return [
            SQLStatement(dialect, "DROP INDEX IF EXISTS \(q(Self.claimIndex(r)))"),
            SQLStatement(dialect, """
                CREATE INDEX IF NOT EXISTS \(q(Self.claimIndex(r))) ON \(q(r.table)) \
                (\(q(r.priority)) DESC, \(q(r.nextAttemptAt)), \(q(r.id))) WHERE \(Self.unsentCondition(r))
                """),
            SQLStatement(dialect, "DROP INDEX IF EXISTS \(q(r.table + "_finished"))"),
            SQLStatement(dialect, """
                CREATE INDEX IF NOT EXISTS \(q(r.table + "_finished")) ON \(q(r.table)) \
                (\(q(r.status)), \(q(r.finishedAt))) WHERE \(q(r.finishedAt)) IS NOT NULL
                """),
            SQLStatement(dialect, "INSERT INTO \(q(schema.versionTable)) (version) VALUES (?)", [.integer(5)]),
        ]
    }

    /// The claim index's condition, `status = 'unsent'`, written out as a literal: a planner
    /// uses a partial index only for a query whose condition implies the index's, and a bound
    /// parameter implies nothing. The claim's scan of unsent requests says the same words.
    public static func unsentCondition(_ requests: QueueSchema.Requests) -> String {
        "\(q(requests.status)) = '\(RequestStatus.unsent.rawValue)'"
    }

    /// The name of the claim's index (schema version 4; partial since version 5).
    public static func claimIndex(_ requests: QueueSchema.Requests) -> String { requests.table + "_claim" }

    private var version1: [SQLStatement] {
        let r = schema.requests, c = schema.recipients, a = schema.attachments, t = schema.templates
        let big = dialect.bigint
        return [
            SQLStatement(dialect, """
                CREATE TABLE IF NOT EXISTS \(q(r.table)) (
                  \(q(r.id)) TEXT PRIMARY KEY,
                  \(q(r.patternID)) TEXT,
                  \(q(r.leaseOwner)) TEXT,
                  \(q(r.leaseUntil)) \(big),
                  \(q(r.subject)) TEXT NOT NULL,
                  \(q(r.from)) TEXT NOT NULL,
                  \(q(r.replyTo)) TEXT,
                  \(q(r.returnPath)) TEXT,
                  \(q(r.charset)) TEXT NOT NULL,
                  \(q(r.body)) TEXT NOT NULL,
                  \(q(r.status)) TEXT NOT NULL,
                  \(q(r.requestedAt)) \(big) NOT NULL,
                  \(q(r.sentAt)) \(big),
                  \(q(r.attempts)) INTEGER NOT NULL DEFAULT 0,
                  \(q(r.nextAttemptAt)) \(big) NOT NULL,
                  \(q(r.lastError)) TEXT,
                  \(q(r.messageID)) TEXT NOT NULL,
                  \(q(r.refused)) TEXT
                )
                """),
            SQLStatement(dialect, """
                CREATE INDEX IF NOT EXISTS \(q(r.table + "_due")) ON \(q(r.table)) (\(q(r.status)), \(q(r.nextAttemptAt)))
                """),
            SQLStatement(dialect, """
                CREATE TABLE IF NOT EXISTS \(q(c.table)) (
                  \(q(c.requestID)) TEXT NOT NULL REFERENCES \(q(r.table)) (\(q(r.id))) ON DELETE CASCADE,
                  \(q(c.sequence)) INTEGER NOT NULL,
                  \(q(c.kind)) TEXT NOT NULL,
                  \(q(c.address)) TEXT NOT NULL,
                  PRIMARY KEY (\(q(c.requestID)), \(q(c.sequence)))
                )
                """),
            SQLStatement(dialect, """
                CREATE TABLE IF NOT EXISTS \(q(a.table)) (
                  \(q(a.requestID)) TEXT NOT NULL REFERENCES \(q(r.table)) (\(q(r.id))) ON DELETE CASCADE,
                  \(q(a.sequence)) INTEGER NOT NULL,
                  \(q(a.filename)) TEXT NOT NULL,
                  \(q(a.contentType)) TEXT NOT NULL,
                  \(q(a.data)) \(dialect.bytes) NOT NULL,
                  PRIMARY KEY (\(q(a.requestID)), \(q(a.sequence)))
                )
                """),
            SQLStatement(dialect, """
                CREATE TABLE IF NOT EXISTS \(q(t.table)) (
                  \(q(t.id)) TEXT NOT NULL,
                  \(q(t.language)) TEXT NOT NULL,
                  \(q(t.subject)) TEXT NOT NULL,
                  \(q(t.body)) TEXT NOT NULL,
                  \(q(t.charset)) TEXT NOT NULL,
                  PRIMARY KEY (\(q(t.id)), \(q(t.language)))
                )
                """),
            SQLStatement(dialect, "INSERT INTO \(q(schema.versionTable)) (version) VALUES (?)", [.integer(1)]),
        ]
    }

    /// Checks that every name can be quoted.
    /// - Throws: `QueueError.schema` naming the first name holding a double quote or NUL.
    public func validateNames() throws(QueueError) {
        let r = schema.requests, c = schema.recipients, a = schema.attachments, t = schema.templates
        let names = [r.table, r.id, r.patternID, r.leaseOwner, r.leaseUntil, r.subject, r.from, r.replyTo, r.returnPath,
                     r.charset, r.body, r.status, r.requestedAt, r.sentAt, r.attempts, r.nextAttemptAt, r.lastError,
                     r.messageID, r.refused, r.rawMessage, r.finishedAt, r.priority, r.notBefore, c.table, c.requestID, c.sequence, c.kind, c.address, a.table, a.requestID,
                     a.sequence, a.filename, a.contentType, a.data, t.table, t.id, t.language, t.subject, t.body,
                     t.charset, schema.versionTable]
        for name in names where name.isEmpty || name.contains("\"") || name.contains("\0") {
            throw QueueError(.schema, field: "schema name '\(name)'", reason: "a table or column name must be non-empty and hold no double quote or NUL")
        }
    }
}
