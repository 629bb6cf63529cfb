#if canImport(Glibc)
import Glibc
#endif

/// Dates formats seconds since 1970 in UTC for people and JSON.
enum Dates {
    /// `2026-03-01`.
    static func day(_ seconds: Double) -> String { String(format(seconds).prefix(10)) }

    /// `2026-03-01T12:00:00Z`.
    static func format(_ seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// The public face of `Dates` for the CLI.
public enum WalletDates {
    /// ISO 8601 in UTC, e.g. `2026-03-01T12:00:00Z`.
    public static func iso8601(_ seconds: Double) -> String { Dates.format(seconds) }
}
