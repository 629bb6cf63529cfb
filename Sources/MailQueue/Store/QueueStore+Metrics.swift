extension QueueStore {
    /// QueueGauges are the figures `/metrics` reads from the database at each scrape, the same
    /// ones `status --json` prints.
    public struct QueueGauges: Sendable, Equatable {
        /// Requests per status.
        public var counts: [RequestStatus: Int]
        /// Unsent requests waiting for their retry time.
        public var waitingToRetry: Int
        /// How long the oldest due request has been due (seconds); 0 when none is.
        public var oldestDueAgeSeconds: Double
    }

    /// Reads the gauges (three reads; a scrape needs no snapshot across them).
    /// - Throws: `QueueError.database` when the database does not answer.
    public func gauges() throws(QueueError) -> QueueGauges {
        let now = self.now()
        let counts = try self.counts()
        let waiting = try self.waiting()
        let statement = MetricsStatements(dialect: dialect, schema: schema).oldestDue(now: now)
        let row = try database.read { (db) throws(QueueError) -> [SQLValue] in try db.query(statement).first ?? [] }
        let oldest = row.first?.integer
        return QueueGauges(counts: counts, waitingToRetry: waiting.count,
                           oldestDueAgeSeconds: oldest.map { Double(max(0, now - $0)) / 1000 } ?? 0)
    }
}
