import Foundation

extension QueueStore {
    /// Removes finished requests older than `policy` allows, a batch per transaction, so that
    /// no transaction holds the write lock for long: a sender's claims and marks go between
    /// batches. Recipients and attachments go with their request. Unsent, sending, uncertain
    /// and held requests are never removed. On SQLite the freed pages are then given back to
    /// the file system a few at a time (incremental vacuum); PostgreSQL's autovacuum reclaims
    /// its space by itself.
    /// - Parameters:
    ///   - dryRun: count what would go, change nothing.
    ///   - maxBatches: stop after this many batches (`complete` is then false if more is due).
    /// - Returns: what was removed, and the longest a batch held its transaction open.
    public func purge(_ policy: RetentionPolicy, dryRun: Bool = false, maxBatches: Int = .max) throws(QueueError)
        -> PurgeReport
    {
        let statements = RetentionStatements(dialect: dialect, schema: schema)
        let now = self.now()
        var report = PurgeReport()
        for (status, millis) in policy.rules {
            let before = now - millis
            if dryRun {
                let count = try database.read { (db) throws(QueueError) -> Int in
                    Int(try db.query(statements.count(status: status, before: before)).first?.first?.integer ?? 0)
                }
                report.removed[status] = count
                continue
            }
            var removed = 0
            var size = policy.batchSize
            while true {
                if report.batches >= maxBatches { report.complete = false; break }
                let started = DispatchTime.now().uptimeNanoseconds
                let deleted = try database.transaction { (db) throws(QueueError) -> Int in
                    try db.execute(statements.purgeBatch(status: status, before: before, limit: size))
                }
                let held = report.note(batchSince: started)
                removed += deleted
                if deleted < size { break }
                size = PurgeReport.nextBatchSize(after: size, heldMillis: held, largest: policy.batchSize)
                yieldWriteLock(afterHolding: held)
            }
            report.removed[status] = removed
        }
        if !dryRun, dialect == .sqlite, report.total > 0 { try giveBackFreePages(&report) }
        return report
    }

    /// SQLite: pauses twice as long as the last batch held the write lock (at least 5 ms), so
    /// that another connection waiting for it (SQLite's busy handler polls, backing off to 25
    /// ms and more between tries) finds it free instead of meeting the next batch. PostgreSQL's
    /// purge locks only the rows it deletes, which no sender claims: no pause.
    private func yieldWriteLock(afterHolding millis: Double) {
        guard dialect == .sqlite else { return }
        usleep(useconds_t(max(5, min(200, millis * 2)) * 1000))
    }

    /// SQLite: runs the incremental vacuum 128 pages per transaction until the free
    /// list is empty (bounded: at most 10,000 steps).
    private func giveBackFreePages(_ report: inout PurgeReport) throws(QueueError) {
        for _ in 0..<10_000 {
            let started = DispatchTime.now().uptimeNanoseconds
            let freed = try database.transaction { (db) throws(QueueError) -> Int in
                let free = Int(try db.query(RetentionStatements.freePages).first?.first?.integer ?? 0)
                guard free > 0 else { return 0 }
                try db.execute(RetentionStatements.incrementalVacuum(pages: 128))
                return free - Int(try db.query(RetentionStatements.freePages).first?.first?.integer ?? 0)
            }
            let held = report.note(batchSince: started)
            report.pagesFreed += freed
            if freed <= 0 { return }
            yieldWriteLock(afterHolding: held)
        }
    }
}

extension PurgeReport {
    /// How long a purge batch should hold its transaction at most, in ms: the bound is on
    /// time, not rows, so a loaded machine (slow disk, busy CPU) gets smaller batches.
    static let batchTargetMillis = 20.0

    /// The size of the next batch after one of `size` rows held its transaction `heldMillis`:
    /// halved (down to 10 rows) when it held longer than the target, doubled back (up to
    /// `largest`) when it took under a quarter of it, else unchanged.
    static func nextBatchSize(after size: Int, heldMillis: Double, largest: Int) -> Int {
        if heldMillis > batchTargetMillis { return max(min(10, largest), size / 2) }
        if heldMillis < batchTargetMillis / 4 { return min(largest, size * 2) }
        return size
    }

    /// Counts a batch that started at `started` (uptime ns) and ended now.
    /// - Returns: how long it took, in ms.
    @discardableResult
    mutating func note(batchSince started: UInt64) -> Double {
        batches += 1
        let millis = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        longestBatchMillis = max(longestBatchMillis, millis)
        return millis
    }
}
