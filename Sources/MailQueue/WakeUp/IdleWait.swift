/// IdleWait is a worker's wait when nothing is due: until a ``WakeUp`` comes (when the sender has
/// one), the poll interval passes, or the sender stops.
struct IdleWait {
    private let waiter: WakeUp.Waiter?
    private let stop: StopSignal

    /// Made before the worker's first claim, so that no wake-up after it is missed.
    init(wakeUp: WakeUp?, stop: StopSignal) {
        waiter = wakeUp?.waiter()
        self.stop = stop
    }

    /// Waits up to `seconds`.
    /// - Returns: true when woken by an enqueue.
    @discardableResult
    func wait(upTo seconds: Double) -> Bool {
        guard let waiter else {
            stop.wait(seconds: seconds)
            return false
        }
        return waiter.wait(upTo: seconds)
    }
}
