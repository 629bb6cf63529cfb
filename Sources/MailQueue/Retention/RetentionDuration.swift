/// RetentionDuration reads the durations retention and filters take: a whole number followed
/// by `s`, `m`, `h` or `d` (`90s`, `15m`, `12h`, `30d`). Parsing does no I/O.
public enum RetentionDuration {
    /// The longest duration accepted: 100 years, so that `now - duration` cannot overflow.
    public static let maxMilliseconds: Int64 = 100 * 366 * 86_400_000

    /// Parses `text` into milliseconds.
    /// - Parameter field: what the value is called in an error (`--sent-older-than`).
    /// - Throws: `QueueError.configuration` naming `field` and the text when it is not a whole
    ///   number with one of the units, or is zero or longer than 100 years.
    public static func milliseconds(_ text: String, field: String) throws(QueueError) -> Int64 {
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last, let scale = units[unit] else {
            throw QueueError(.configuration, field: "\(field) '\(text)'",
                             reason: "expected a whole number followed by s, m, h or d (90s, 15m, 12h, 30d)")
        }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(digits),
              number > 0, number <= maxMilliseconds / scale
        else {
            throw QueueError(.configuration, field: "\(field) '\(text)'",
                             reason: "expected a whole number greater than 0 (at most 100 years) followed by s, m, h or d")
        }
        return number * scale
    }
}
