extension QueueStore {
    /// CancelOutcome is what `cancel` did to one request.
    public enum CancelOutcome: Sendable, Hashable {
        /// Now `cancelled`: it will never be sent.
        case cancelled
        /// Left alone, with the reason (being sent, delivery uncertain, already finished).
        case refused(String)
        /// No such request.
        case notFound
    }

    /// Cancels each of `ids` that no sender holds (unsent or held), each in its own
    /// transaction; one being sent or delivery-uncertain is refused with the reason. A sender
    /// claims a request by changing its status in one statement, and a cancel changes it only
    /// from unsent or held: each request is either claimed (and may be sent) or cancelled, never both.
    /// - Returns: each id's outcome, in order.
    public func cancel(_ ids: [String]) throws(QueueError) -> [(id: String, outcome: CancelOutcome)] {
        let statements = OperatorStatements(dialect: dialect, schema: schema)
        var outcomes: [(id: String, outcome: CancelOutcome)] = []
        for id in ids {
            let now = self.now()
            let outcome = try database.transaction { (db) throws(QueueError) -> CancelOutcome in
                if try db.execute(statements.cancel(id: id, now: now)) == 1 { return .cancelled }
                guard let row = try db.query(statements.state(id: id)).first else { return .notFound }
                return .refused(Self.whyNotCancelled(status: RequestStatus(rawValue: row[0].text ?? ""), owner: row[1].text))
            }
            outcomes.append((id, outcome))
        }
        return outcomes
    }

    /// Cancels every unsent or held request of `pattern`.
    /// - Returns: how many.
    public func cancel(pattern: String) throws(QueueError) -> Int {
        let statement = OperatorStatements(dialect: dialect, schema: schema).cancel(pattern: pattern, now: now())
        return try database.transaction { (db) throws(QueueError) -> Int in try db.execute(statement) }
    }

    /// Holds every unsent request of `pattern` (no sender claims them until `release`).
    /// Requests being sent finish; uncertain ones stay as they are.
    /// - Returns: how many were held.
    public func hold(pattern: String) throws(QueueError) -> Int {
        let statement = OperatorStatements(dialect: dialect, schema: schema).move(pattern: pattern, from: .unsent, to: .held)
        return try database.transaction { (db) throws(QueueError) -> Int in try db.execute(statement) }
    }

    /// Releases every held request of `pattern`: unsent again, due as before.
    /// - Returns: how many were released.
    public func release(pattern: String) throws(QueueError) -> Int {
        let statement = OperatorStatements(dialect: dialect, schema: schema).move(pattern: pattern, from: .held, to: .unsent)
        let released = try database.transaction { (db) throws(QueueError) -> Int in
            let count = try db.execute(statement)
            if count > 0 { try notifyDue(db) }
            return count
        }
        if released > 0 { announceEnqueue() }
        return released
    }

    static func whyNotCancelled(status: RequestStatus?, owner: String?) -> String {
        switch status {
        case .sending: return "being sent (claimed by \(owner ?? "a sender")); it may already be on its way"
        case .uncertain: return "delivery uncertain: its final \".\" may have reached the server"
        case .sent: return "already sent"
        case .failed: return "already failed"
        case .cancelled: return "already cancelled"
        case .unsent, .held: return "changed while being cancelled; try again"
        case nil: return "in an unknown status"
        }
    }
}
