import Foundation

/// RateLimiter spaces messages so that no more than `perMinute` start in any minute, across
/// every worker of a sender (Office365: 30 a minute per mailbox).
///
/// The clock and the wait are injected (the real ones by default), so tests check the spacing
/// without waiting.
final class RateLimiter: @unchecked Sendable {
    /// Reads the time now.
    typealias Now = @Sendable () -> Date
    /// Waits up to a number of seconds, returning early when the signal is raised.
    typealias Sleep = @Sendable (_ seconds: Double, _ stop: StopSignal) -> Void

    private let lock = NSLock()
    private let interval: Double
    private let now: Now
    private let sleep: Sleep
    private var next = Date.distantPast

    /// Creates a limiter of `perMinute` messages a minute (at least 1).
    /// - Parameters:
    ///   - now: the clock (`Date()` by default).
    ///   - sleep: the wait (`StopSignal.wait` by default).
    init(perMinute: Int, now: @escaping Now = { Date() },
         sleep: @escaping Sleep = { seconds, stop in stop.wait(seconds: seconds) }) {
        interval = 60.0 / Double(max(1, perMinute))
        self.now = now
        self.sleep = sleep
    }

    /// Waits for the next slot, or returns early when `stop` is raised.
    /// - Returns: the seconds the slot was ahead (0 when it was free).
    @discardableResult
    func acquire(stop: StopSignal) -> Double {
        lock.lock()
        let now = self.now()
        let slot = max(now, next)
        next = slot.addingTimeInterval(interval)
        lock.unlock()
        let wait = slot.timeIntervalSince(now)
        if wait > 0 { sleep(wait, stop) }
        return max(0, wait)
    }
}
