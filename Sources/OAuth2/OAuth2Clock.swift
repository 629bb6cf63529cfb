import Foundation

/// OAuth2Clock is the time the token code reads and waits on: the cache's expiry checks and
/// the device code flow's polling interval. Tests inject one that records the waits and moves
/// its own time instead of sleeping.
public struct OAuth2Clock: Sendable {
    /// Seconds since 1970.
    public var now: @Sendable () -> Double
    /// Waits `seconds` (the device code polling interval).
    public var sleep: @Sendable (Double) -> Void

    /// Creates a clock.
    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Double) -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The system's wall clock and `Thread.sleep`.
    public static let system = OAuth2Clock(
        now: { Date().timeIntervalSince1970 },
        sleep: { seconds in if seconds > 0 { Thread.sleep(forTimeInterval: seconds) } })
}
