import Foundation
import SMTPConversation

/// RFC5322Date formats a date as RFC 5322 §3.3 `date-time`, e.g. `Tue, 02 Jan 2024 12:04:05 +0900`,
/// with English names whatever the process locale (a localised date is a common bug).
public enum RFC5322Date {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats `date` at `offsetSeconds` from UTC (e.g. 32400 for Japan).
    public static func format(_ date: Date, offsetSeconds: Int) -> String {
        let offset = (offsetSeconds / 60) * 60
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        let dayNumber = local >= 0 ? local / 86400 : (local - 86399) / 86400
        let secondsOfDay = local - dayNumber * 86400
        let (year, month, day) = CivilDate.civil(days: dayNumber)
        let weekday = days[((dayNumber % 7) + 7) % 7]
        let minutes = abs(offset) / 60
        // Written byte by byte: every queued message gets a Date header, and string
        // interpolation of ten small pieces showed in a sender's profile.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        func two(_ value: Int) {
            bytes.append(UInt8(ascii: "0") + UInt8(value / 10 % 10))
            bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
        }
        bytes.append(contentsOf: weekday.utf8)
        bytes.append(contentsOf: ", ".utf8)
        two(day)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: months[month - 1].utf8)
        bytes.append(UInt8(ascii: " "))
        if (1000...9999).contains(year) {
            two(year / 100)
            two(year % 100)
        } else {
            bytes.append(contentsOf: String(year).utf8)
        }
        bytes.append(UInt8(ascii: " "))
        two(secondsOfDay / 3600)
        bytes.append(UInt8(ascii: ":"))
        two(secondsOfDay / 60 % 60)
        bytes.append(UInt8(ascii: ":"))
        two(secondsOfDay % 60)
        bytes.append(UInt8(ascii: " "))
        bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        two(minutes / 60)
        two(minutes % 60)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The local time zone's offset from UTC at `date`, in seconds (summer time included), from
    /// the C library: Foundation's `TimeZone.current` takes a process-wide lock and asks ICU,
    /// which showed in a sender building thousands of messages a second on several threads.
    public static func localOffset(at date: Date) -> Int {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return TimeZone.current.secondsFromGMT(for: date) }
        return Int(parts.tm_gmtoff)
    }
}
