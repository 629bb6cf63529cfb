/// What a daemon's worker does when nothing is due.
extension SenderWorker {
    /// Waits for work when nothing is due: the connection is closed, worker 0 purges finished
    /// requests (with a retention policy), then the worker waits `idlePollSeconds`, until an
    /// enqueue wakes it (`IdleWait`) or until `stop` is raised. The one place an idle worker
    /// waits.
    mutating func waitForWork() throws(QueueError) {
        quitConnection()
        // More to purge: again at once (the next idle moment) instead of waiting.
        if try purgeWhileIdle() { return }
        idle.wait(upTo: options.idlePollSeconds)
    }

    /// Worker 0 purges finished requests, a bounded number of batches at a time.
    /// - Returns: true when more is left to purge.
    mutating func purgeWhileIdle() throws(QueueError) -> Bool {
        guard number == 0, let policy = options.retention, !policy.isEmpty, store.now() >= purgeAt else { return false }
        let purged = try store.purge(policy, maxBatches: QueueSender.purgeBatchesPerIdle)
        if purged.total > 0 {
            logger.info("purged finished requests", metadata: [
                "removed": "\(purged.total)", "longest-batch-ms": "\(Int(purged.longestBatchMillis))"])
        }
        // More to do: again at the next idle moment; else in a minute.
        purgeAt = purged.complete ? store.now() + 60_000 : store.now()
        return !purged.complete
    }
}
