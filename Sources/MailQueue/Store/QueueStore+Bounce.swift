/// The marks that carry a delivery status notification (`--bounce`): the report is stored in
/// the transaction that records the outcome, and only when the mark took effect, so it is stored
/// exactly when the outcome is (a sender that lost its claim, or was killed before the commit,
/// leaves neither; the one that records the outcome stores the only report).
extension QueueStore {
    /// Marks `id` failed and enqueues `bounce` (the report to its sender) in the same
    /// transaction, when `owner` still held the claim.
    /// - Returns: the report's request id, or nil when the claim was lost (nothing changed).
    @discardableResult
    public func markFailed(_ id: String, owner: String, error: String, refused: String?, bounce: StoredRequest)
        throws(QueueError) -> String?
    {
        let now = self.now()
        let mark = sender.markFailed(id: id, owner: owner, now: now, error: error, refused: refused)
        let insert = EnqueueStatements(dialect: dialect, schema: schema).insert(bounce, now: now)
        return try database.transaction { (db) throws(QueueError) -> String? in
            guard try db.execute(mark) == 1 else { return nil }
            for statement in insert { try db.execute(statement) }
            return bounce.id
        }
    }

    /// Marks one request sent on `db` (inside the caller's transaction), with its report when
    /// it has one and the mark took effect.
    static func markSent(_ mark: SentMark, owner: String, now: Int64, on db: any SQLExecutor, statements: SenderStatements,
                         enqueue: EnqueueStatements) throws(QueueError) {
        let marked = try db.execute(statements.markSent(id: mark.id, owner: owner, now: now, refused: mark.refused)) == 1
        guard marked, let bounce = mark.bounce else { return }
        for statement in enqueue.insert(bounce, now: now) { try db.execute(statement) }
    }
}
