/// What a daemon's worker does when nothing is due.
extension SenderWorker {
    /// Waits for work when nothing is due: the connection is closed, worker 0 purges finished
    /// requests (with a retention policy), then the worker waits `idlePollSeconds`, or less
    /// when a scheduled request or a retry falls due sooner (`idleSeconds`), until an enqueue
    /// wakes it (`IdleWait`) or until `stop` is raised. The one place an idle worker waits.
    mutating func waitForWork() throws(QueueError) {
        quitConnection()
        // More to purge: again at once (the next idle moment) instead of waiting.
        if try purgeWhileIdle() { return }
        let nextDue = try store.nextDue()
        idle.wait(upTo: Self.idleSeconds(poll: options.idlePollSeconds, now: store.now(), nextDue: nextDue))
    }

    /// How long an idle worker waits: until a millisecond after `nextDue` (ms since 1970, the
    /// next unsent request's time; the clock is read rounded to the millisecond), at most
    /// `poll` seconds, and at least ``WakeUp/minimumInterval`` (unless `poll` is shorter).
    /// A time already past (the clock stepped forward), a request of a pattern this sender
    /// does not serve, or a run of requests due a millisecond apart costs at most one claim per
    /// interval, not a busy loop; a clock stepped back waits no longer than `poll`. (Computed
    /// in `Double`: a time written by another program may be anything an `Int64` holds.)
    static func idleSeconds(poll: Double, now: Int64, nextDue: Int64?) -> Double {
        guard let nextDue else { return poll }
        let untilDue = (Double(nextDue) - Double(now) + 1) / 1000
        return min(poll, max(WakeUp.minimumInterval, untilDue))
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
