import Foundation

/// StopSignal asks senders to stop after the message in flight (SIGTERM/SIGINT, or a test).
/// Idle waits return at once when it is raised.
public final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    /// Creates a lowered signal.
    public init() {}

    /// Raises the signal.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// True once raised.
    public var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Waits up to `seconds` or until raised.
    /// - Returns: true when raised.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopped, condition.wait(until: deadline) {}
        return stopped
    }
}
