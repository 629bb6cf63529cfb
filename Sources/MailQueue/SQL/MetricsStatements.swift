/// MetricsStatements are the read-only statements `/metrics` runs beside `counts()`: the
/// oldest due request.
struct MetricsStatements: Sendable {
    /// The dialect.
    let dialect: SQLDialect
    /// The names.
    let schema: QueueSchema

    /// Creates the builder.
    init(dialect: SQLDialect, schema: QueueSchema = QueueSchema()) {
        self.dialect = dialect
        self.schema = schema
    }

    private var r: QueueSchema.Requests { schema.requests }

    /// The earliest time (ms since 1970) an unsent request became due, among those due at `now`:
    /// one row, NULL when nothing is due.
    func oldestDue(now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT MIN(\(q(r.nextAttemptAt))) FROM \(q(r.table)) WHERE \(q(r.status)) = ? AND \(q(r.nextAttemptAt)) <= ?
            """, [.text(RequestStatus.unsent.rawValue), .integer(now)])
    }
}
