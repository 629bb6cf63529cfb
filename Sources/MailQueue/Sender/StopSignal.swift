import Foundation

/// StopSignal asks senders to stop after the message in flight (SIGTERM/SIGINT, or a test).
/// Idle waits return at once when it is raised.
public final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var actions: [@Sendable () -> Void] = []

    /// Creates a lowered signal.
    public init() {}

    /// Raises the signal.
    public func stop() {
        condition.lock()
        let first = !stopped
        stopped = true
        condition.broadcast()
        let run = first ? actions : []
        actions.removeAll()
        condition.unlock()
        run.forEach { $0() }
    }

    /// Runs `action` once when the signal is raised (at once when it is raised already): ends
    /// waits that are not on this signal's own condition (a socket poll, a ``WakeUp``).
    public func whenStopped(_ action: @escaping @Sendable () -> Void) {
        condition.lock()
        if stopped {
            condition.unlock()
            action()
            return
        }
        actions.append(action)
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
