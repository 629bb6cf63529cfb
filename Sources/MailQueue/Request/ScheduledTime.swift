import SMTPConversation

/// ScheduledTime reads the time a request is scheduled for (`enqueue --at`, JSONL `at`): an
/// ISO 8601 / RFC 3339 date and time with its offset, e.g. `2026-12-24T18:00:00+09:00`,
/// `2026-12-24T09:00Z`, `2026-12-24 09:00:00.250Z`. A time without `Z` or an offset is refused:
/// which zone was meant cannot be known, and guessing sends mail hours early or late. No I/O.
public enum ScheduledTime {
    /// ScheduledTime.milliseconds parses `text` into milliseconds since 1970 (UTC).
    /// - Parameters:
    ///   - text: the time, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` then `Z`, `±HH:MM` or `±HHMM`
    ///     (`T` may be a space, `t` and `z` are accepted; years 1970 to 9999).
    ///   - field: what to name in the error (`--at`, `at`).
    /// - Throws: `QueueError.invalidMessage` naming `field` and quoting `text`, saying what was
    ///   expected.
    public static func milliseconds(_ text: String, field: String) throws(QueueError) -> Int64 {
        guard let value = parse(Array(text.utf8)) else {
            throw QueueError(.invalidMessage, field: field, reason: """
                '\(TerminalText.escaped(String(text.prefix(80))))' is not an ISO 8601 time with its offset \
                (e.g. 2026-12-24T18:00:00+09:00 or 2026-12-24T09:00:00Z)
                """)
        }
        return value
    }

    /// The time, or nil when `b` is not one.
    private static func parse(_ b: [UInt8]) -> Int64? {
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for byte in b[i..<(i + count)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            i += count
            return value
        }
        func take(_ ascii: Character...) -> Bool {
            guard i < b.count, ascii.contains(where: { $0.asciiValue == b[i] }) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
              take("T", "t", " "), let hour = digits(2), take(":"), let minute = digits(2)
        else { return nil }
        var second = 0, millis = 0
        if take(":") {
            guard let s = digits(2) else { return nil }
            second = s
            if take(".", ",") {
                // A fraction of a second: the first three digits count, at most nine are read.
                let start = i
                while i < b.count, (0x30...0x39).contains(b[i]), i - start < 9 { i += 1 }
                guard i > start else { return nil }
                let fraction = b[start..<min(i, start + 3)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
                millis = fraction * [100, 10, 1][min(i - start, 3) - 1]
            }
        }
        var offset = 0
        if take("Z", "z") {
            offset = 0
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let h = digits(2) else { return nil }
            _ = take(":")
            guard let m = digits(2), h <= 23, m <= 59 else { return nil }
            offset = sign * (h * 60 + m)
        } else {
            return nil
        }
        guard i == b.count, (1970...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= daysIn(month: month, year: year), hour <= 23, minute <= 59, second <= 59
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset * 60)
        guard seconds >= 0 else { return nil }
        return seconds * 1000 + Int64(millis)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
