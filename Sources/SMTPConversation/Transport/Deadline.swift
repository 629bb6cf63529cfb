#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deadline turns UTL_SMTP's `tx_timeout` into poll() timeouts: nil waits forever, 0 does not
/// wait at all, any other value is seconds from when the operation started.
package struct Deadline {
    package let seconds: Double?
    private let end: Double?

    package init(seconds: Double?) {
        self.seconds = seconds
        self.end = seconds.map { Self.now() + $0 }
    }

    /// Milliseconds left for poll(): -1 forever, 0 for no wait or expired.
    package var pollMilliseconds: Int32 {
        guard let end else { return -1 }
        let left = (end - Self.now()) * 1000
        return left <= 0 ? 0 : Int32(min(left.rounded(.up), Double(Int32.max)))
    }

    package var isExpired: Bool {
        guard let end else { return false }
        return Self.now() >= end
    }

    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
