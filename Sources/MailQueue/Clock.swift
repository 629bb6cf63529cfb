import Foundation

/// Clock gives the queue's time as milliseconds since 1970; stores and senders take a
/// `() -> Int64` so tests can inject their own.
public enum Clock {
    /// The wall-clock time now, in milliseconds since 1970.
    public static func milliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
