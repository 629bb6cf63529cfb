/// OperatorStatements are what an operator does to requests by hand: cancel one not yet being
/// sent, hold and release a pattern's unsent requests during an incident. Each names the
/// statuses it expects, so a request a sender claimed meanwhile is left alone.
public struct OperatorStatements: Sendable {
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

    /// Cancels request `id` at `now` when it is unsent or held (no sender holds it); changes
    /// no row otherwise.
    public func cancel(id: String, now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.finishedAt)) = ?, \(q(r.lastError)) = ? \
            WHERE \(q(r.id)) = ? AND \(q(r.status)) IN (?, ?)
            """, [.text(RequestStatus.cancelled.rawValue), .integer(now), .text("cancelled by an operator"), .text(id),
                  .text(RequestStatus.unsent.rawValue), .text(RequestStatus.held.rawValue)])
    }

    /// Cancels every unsent or held request of `pattern` at `now`.
    public func cancel(pattern: String, now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.finishedAt)) = ?, \(q(r.lastError)) = ? \
            WHERE \(q(r.patternID)) = ? AND \(q(r.status)) IN (?, ?)
            """, [.text(RequestStatus.cancelled.rawValue), .integer(now), .text("cancelled by an operator"), .text(pattern),
                  .text(RequestStatus.unsent.rawValue), .text(RequestStatus.held.rawValue)])
    }

    /// Moves `pattern`'s requests from `from` to `to` (hold: unsent to held; release: back).
    public func move(pattern: String, from: RequestStatus, to: RequestStatus) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ? WHERE \(q(r.patternID)) = ? AND \(q(r.status)) = ?
            """, [.text(to.rawValue), .text(pattern), .text(from.rawValue)])
    }

    /// The status and lease owner of request `id` (why a cancel left it alone).
    public func state(id: String) -> SQLStatement {
        SQLStatement(dialect, "SELECT \(q(r.status)), \(q(r.leaseOwner)) FROM \(q(r.table)) WHERE \(q(r.id)) = ?", [.text(id)])
    }
}
