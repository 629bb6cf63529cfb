/// RetentionStatements are the statements a purge runs: delete a small batch of finished
/// requests older than a time (recipients and attachments go with them through the foreign
/// keys' `ON DELETE CASCADE`), count what would go, and give SQLite's free pages back.
public struct RetentionStatements: Sendable {
    /// The dialect.
    public let dialect: SQLDialect
    /// The names.
    public let schema: QueueSchema

    /// Creates the builder.
    public init(dialect: SQLDialect, schema: QueueSchema = QueueSchema()) {
        self.dialect = dialect
        self.schema = schema
    }

    private var r: QueueSchema.Requests { schema.requests }

    /// Deletes at most `limit` requests in `status` that finished before `before` (ms since
    /// 1970), read through the `(status, finished at)` index. The outer condition repeats the
    /// inner one: a request `retry` made unsent meanwhile is left alone (PostgreSQL re-checks
    /// it on the row it locks).
    /// (In SQLite the outer condition is written `+status`, `+finished_at`: otherwise SQLite
    /// walked the whole index range for the outer condition and tested each row against the
    /// batch, every batch reading every old row; 1 to 6 s a batch at 40,000 old rows.)
    public func purgeBatch(status: RequestStatus, before: Int64, limit: Int) -> SQLStatement {
        let noIndex = dialect == .sqlite ? "+" : ""
        return SQLStatement(dialect, """
            DELETE FROM \(q(r.table)) WHERE \(q(r.id)) IN (SELECT \(q(r.id)) FROM \(q(r.table)) \
            WHERE \(q(r.status)) = ? AND \(q(r.finishedAt)) < ? LIMIT ?) \
            AND \(noIndex)\(q(r.status)) = ? AND \(noIndex)\(q(r.finishedAt)) < ?
            """, [.text(status.rawValue), .integer(before), .integer(Int64(limit)), .text(status.rawValue), .integer(before)])
    }

    /// Counts the requests in `status` that finished before `before` (a dry run).
    public func count(status: RequestStatus, before: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT COUNT(*) FROM \(q(r.table)) WHERE \(q(r.status)) = ? AND \(q(r.finishedAt)) < ?
            """, [.text(status.rawValue), .integer(before)])
    }

    /// SQLite: the pages on the free list (given back by `incrementalVacuum`).
    static let freePages = SQLStatement(.sqlite, "PRAGMA freelist_count")

    /// SQLite: gives up to `pages` free pages back to the file system (needs
    /// `auto_vacuum = INCREMENTAL`, which `migrate` sets).
    static func incrementalVacuum(pages: Int) -> SQLStatement {
        SQLStatement(.sqlite, "PRAGMA incremental_vacuum(\(max(1, pages)))")
    }
}
