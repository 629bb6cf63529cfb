import Foundation

/// WakeUp tells a daemon's idle workers that a request may have become due: a PostgreSQL
/// `NOTIFY` (``PostgresWakeUpSource``), a SQLite enqueue on the same host (``SQLiteWakeFile``),
/// or an enqueue in the same process (the relay's) calling ``wake()``. Polling stays the fallback:
/// a worker waits at most its poll interval whether or not anything wakes it.
///
/// Each worker waits through its own ``Waiter``, which remembers the last wake-up it saw, so a
/// wake-up that comes while the worker is busy (between its empty claim and its wait) is not
/// lost: its next wait returns at once.
public final class WakeUp: @unchecked Sendable {
    private let condition = NSCondition()
    private var generation: UInt64 = 0
    private var closed = false
    private var listening = false

    /// Creates a wake-up that `stop` closes (every wait returns at once once it is raised).
    public init(stop: StopSignal) {
        stop.whenStopped { [weak self] in self?.close() }
    }

    /// Wakes every waiting worker (and the next wait of each busy one).
    public func wake() {
        condition.lock()
        generation &+= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Ends every wait, now and later.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// True while a source delivers wake-ups (PostgreSQL: the `LISTEN` connection is up); false
    /// while the workers only poll.
    public var isListening: Bool {
        condition.lock()
        defer { condition.unlock() }
        return listening
    }

    /// Set by a source when it starts or stops delivering wake-ups.
    func setListening(_ value: Bool) {
        condition.lock()
        listening = value
        condition.unlock()
    }

    /// A waiter for one worker; it counts wake-ups from the moment it is made.
    public func waiter() -> Waiter {
        condition.lock()
        defer { condition.unlock() }
        return Waiter(wakeUp: self, seen: generation)
    }

    fileprivate func wait(after seen: UInt64, upTo seconds: Double) -> (woken: Bool, now: UInt64) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !closed, generation == seen, condition.wait(until: deadline) {}
        return (!closed && generation != seen, generation)
    }

    /// Waits until `deadline` unless closed first.
    fileprivate func pause(until deadline: Date) {
        condition.lock()
        defer { condition.unlock() }
        while !closed, condition.wait(until: deadline) {}
    }

    /// The least time between two wake-ups a worker acts on: a peer announcing enqueues without
    /// end (a `NOTIFY` loop, a script opening the wake-up file) costs each worker at most one
    /// claim per interval, not a busy loop.
    public static let minimumInterval = 0.02

    /// Waiter is one worker's view of a ``WakeUp``.
    public final class Waiter: @unchecked Sendable {
        private let wakeUp: WakeUp
        private var seen: UInt64
        private var lastWoken = Date.distantPast

        fileprivate init(wakeUp: WakeUp, seen: UInt64) {
            self.wakeUp = wakeUp
            self.seen = seen
        }

        /// Waits up to `seconds` (the poll interval) for a wake-up this waiter has not seen yet,
        /// or until the sender is stopped.
        /// - Returns: true when woken (possibly by a wake-up that came before the call; at most
        ///   once per ``WakeUp/minimumInterval``), false when the time ran out or the sender stopped.
        @discardableResult
        public func wait(upTo seconds: Double) -> Bool {
            let (woken, now) = wakeUp.wait(after: seen, upTo: seconds)
            seen = now
            guard woken else { return false }
            // Wake-ups closer together than the minimum interval wait for its end.
            let earliest = lastWoken.addingTimeInterval(WakeUp.minimumInterval)
            if earliest > Date() { wakeUp.pause(until: earliest) }
            lastWoken = Date()
            return true
        }
    }
}
