import Foundation

/// RateLimiter spaces messages so that no more than `perMinute` start in any minute, across
/// every worker of a sender (Office365: 30 a minute per mailbox).
final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private let interval: Double
    private var next = Date.distantPast

    init(perMinute: Int) { interval = 60.0 / Double(max(1, perMinute)) }

    /// Waits for the next slot, or returns early when `stop` is raised.
    func acquire(stop: StopSignal) {
        lock.lock()
        let now = Date()
        let slot = max(now, next)
        next = slot.addingTimeInterval(interval)
        lock.unlock()
        let wait = slot.timeIntervalSince(now)
        if wait > 0 { stop.wait(seconds: wait) }
    }
}
