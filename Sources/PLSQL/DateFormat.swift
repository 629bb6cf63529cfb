import Foundation
import SMTPConversation

/// DateFormat formats and reads dates with Oracle's masks (`TO_CHAR(d, 'Dy, DD Mon YYYY
/// HH24:MI:SS')`): YYYY RRRR YY RR MM MON MONTH DD DDD D DY DAY HH HH12 HH24 MI SS FF AM PM
/// TZH TZM, `FM`, `"literal"`, punctuation. Names are English, with the mask's case.
enum DateFormat {
    static let months = ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER"]
    static let days = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]

    /// Days since 1970-01-01 for a civil date (proleptic Gregorian).
    static func days(year: Int, month: Int, day: Int) -> Int { CivilDate.days(year: year, month: month, day: day) }

    /// The civil date of a day count since 1970-01-01.
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) { CivilDate.civil(days: days) }

    private static func cased(_ name: String, like written: Substring) -> String {
        if written.first?.isLowercase == true { return name.lowercased() }
        if written.dropFirst().first?.isLowercase == true { return name.prefix(1) + name.dropFirst().lowercased() }
        return name
    }

    private static func padded(_ number: Int, _ width: Int, fill: Bool) -> String {
        let text = String(abs(number))
        let body = fill ? String(repeating: "0", count: max(0, width - text.count)) + text : text
        return (number < 0 ? "-" : "") + body
    }

    /// `seconds` (wall clock) formatted with `mask`.
    static func format(_ seconds: Double, zoneOffset: Int?, mask: String) -> String {
        let whole = Int(seconds.rounded(.down))
        let fraction = seconds - Double(whole)
        let dayCount = Int((Double(whole) / 86400).rounded(.down))
        let (year, month, day) = civil(dayCount)
        let secondOfDay = whole - dayCount * 86400
        let hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        let weekday = ((dayCount % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
        var output = ""
        var fill = true
        let characters = Array(mask)
        var index = 0
        func starts(_ word: String) -> Bool {
            guard index + word.count <= characters.count else { return false }
            return String(characters[index..<index + word.count]).uppercased() == word
        }
        while index < characters.count {
            let rest = Substring(String(characters[index...]))
            if characters[index] == "\"" {
                index += 1
                while index < characters.count, characters[index] != "\"" { output.append(characters[index]); index += 1 }
                index += 1
                continue
            }
            let tokens: [(String, () -> String)] = [
                ("FM", { fill.toggle(); return "" }),
                ("YYYY", { padded(year, 4, fill: fill) }), ("RRRR", { padded(year, 4, fill: fill) }),
                ("YY", { padded(year % 100, 2, fill: fill) }), ("RR", { padded(year % 100, 2, fill: fill) }),
                ("MONTH", { let n = cased(months[month - 1], like: rest); return fill ? n.padding(toLength: 9, withPad: " ", startingAt: 0) : n }),
                ("MON", { cased(String(months[month - 1].prefix(3)), like: rest) }),
                ("MM", { padded(month, 2, fill: fill) }), ("MI", { padded(minute, 2, fill: fill) }),
                ("DDD", { padded(dayCount - days(year: year, month: 1, day: 1) + 1, 3, fill: fill) }),
                ("DAY", { let n = cased(days[weekday], like: rest); return fill ? n.padding(toLength: 9, withPad: " ", startingAt: 0) : n }),
                ("DY", { cased(String(days[weekday].prefix(3)), like: rest) }),
                ("DD", { padded(day, 2, fill: fill) }), ("D", { String(weekday + 1) }),
                ("HH24", { padded(hour, 2, fill: fill) }), ("HH12", { padded(hour % 12 == 0 ? 12 : hour % 12, 2, fill: fill) }),
                ("HH", { padded(hour % 12 == 0 ? 12 : hour % 12, 2, fill: fill) }),
                ("SS", { padded(second, 2, fill: fill) }),
                ("FF", { let digits = String(Int((fraction * 1_000_000).rounded())); return String(repeating: "0", count: 6 - digits.count) + digits }),
                ("AM", { cased(hour < 12 ? "AM" : "PM", like: rest) }), ("PM", { cased(hour < 12 ? "AM" : "PM", like: rest) }),
                ("A.M.", { hour < 12 ? "A.M." : "P.M." }), ("P.M.", { hour < 12 ? "A.M." : "P.M." }),
                ("TZH", { let offset = zoneOffset ?? 0; return (offset < 0 ? "-" : "+") + padded(abs(offset) / 3600, 2, fill: true) }),
                ("TZM", { padded(abs(zoneOffset ?? 0) / 60 % 60, 2, fill: true) }),
            ]
            if let (word, produce) = tokens.first(where: { starts($0.0) }) {
                output += produce()
                index += word.count
                if word == "FF", index < characters.count, characters[index].isNumber { index += 1 }
                continue
            }
            output.append(characters[index])
            index += 1
        }
        return output
    }

    /// Reads `text` with `mask` (the numeric fields and MON); nil when it does not match.
    static func parse(_ text: String, mask: String) -> Double? {
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0
        let input = Array(text.uppercased()), pattern = Array(mask.uppercased())
        var i = 0, p = 0
        func number(_ maximum: Int) -> Int? {
            var digits = ""
            while i < input.count, input[i].isNumber, digits.count < maximum { digits.append(input[i]); i += 1 }
            return Int(digits)
        }
        func starts(_ word: String) -> Bool {
            p + word.count <= pattern.count && String(pattern[p..<p + word.count]) == word
        }
        while p < pattern.count {
            if starts("YYYY") || starts("RRRR") { guard let n = number(4) else { return nil }; year = n; p += 4 }
            else if starts("YY") || starts("RR") { guard let n = number(2) else { return nil }; year = n < 50 ? 2000 + n : 1900 + n; p += 2 }
            else if starts("MON") {
                guard i + 3 <= input.count, let index = months.firstIndex(where: { $0.hasPrefix(String(input[i..<i + 3])) }) else { return nil }
                month = index + 1; i += 3; p += 3
            }
            else if starts("MM") { guard let n = number(2) else { return nil }; month = n; p += 2 }
            else if starts("MI") { guard let n = number(2) else { return nil }; minute = n; p += 2 }
            else if starts("DD") { guard let n = number(2) else { return nil }; day = n; p += 2 }
            else if starts("HH24") { guard let n = number(2) else { return nil }; hour = n; p += 4 }
            else if starts("HH") { guard let n = number(2) else { return nil }; hour = n; p += 2 }
            else if starts("SS") { guard let n = number(2) else { return nil }; second = n; p += 2 }
            else {
                if i < input.count, !input[i].isNumber { i += 1 }
                p += 1
            }
        }
        guard i == input.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        return Double(days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second)
    }
}
