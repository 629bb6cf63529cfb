/// Pacing: the one place a request waits for its turn before it is sent.
extension SenderWorker {
    /// True when sends are paced: the next request's envelope must then not ride behind a final
    /// dot, where it would start before its turn.
    var isPaced: Bool { sender.limiter != nil }

    /// Waits for the next request's turn (`--rate`, across every worker of the sender), or
    /// returns early when `stop` is raised; the wait is counted for `/metrics`.
    /// - Returns: false when `stop` was raised while waiting (the turn was not reached).
    func paceSend() -> Bool {
        guard let limiter = sender.limiter else { return true }
        // (Outside the optional chain: `metrics?.f(x)` does not evaluate x when metrics is nil.)
        let waited = limiter.acquire(stop: stop)
        options.metrics?.rateLimitWait(seconds: waited)
        return !stop.isStopped
    }
}
