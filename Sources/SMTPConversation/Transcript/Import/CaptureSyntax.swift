/// CaptureSyntax holds the tests every format's reader shares: is this an SMTP command, is this an
/// elision a person left in a paste.
enum CaptureSyntax {
    private static let verbs: Set<String> = [
        "EHLO", "HELO", "LHLO", "DATA", "QUIT", "RSET", "NOOP", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "BDAT",
        "ETRN", "TURN", "ATRN", "XCLIENT", "XFORWARD", "SEND", "SOML", "SAML",
    ]

    /// True when the line is an SMTP command (`MAIL FROM:`, `RCPT TO:`, or a known verb alone or
    /// followed by a space), in any case.
    static func isCommand(_ line: ArraySlice<UInt8>) -> Bool {
        var word: [UInt8] = []
        for byte in line.prefix(9) {
            if byte == 32 || byte == 58 { break }
            word.append(byte >= 97 && byte <= 122 ? byte - 32 : byte)
        }
        guard word.count >= 4, word.count < line.count || word.count == line.count else { return false }
        let verb = String(decoding: word, as: UTF8.self)
        let upper = Array(line.prefix(10)).map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
        if verb == "MAIL" { return upper.starts(with: Array("MAIL FROM:".utf8)) }
        if verb == "RCPT" { return upper.starts(with: Array("RCPT TO:".utf8)) }
        guard verbs.contains(verb) else { return false }
        return word.count == line.count || line[line.startIndex + word.count] == 32
    }

    /// True when the line (trimmed) is an elision: `...`, `…`, `<snip>`, `[...]`, `(...)`,
    /// `... lots of SMTP stuff ...`.
    static func isElision(_ line: ArraySlice<UInt8>) -> Bool {
        let trimmed = line.trimmingLeadingBlanks.trimmingTrailingBlanks
        guard !trimmed.isEmpty, trimmed.count < 120 else { return false }
        if trimmed.starts(with: "...") || trimmed.starts(with: "\u{2026}") || trimmed.starts(with: "[...]")
            || trimmed.starts(with: "(...)") || trimmed.starts(with: "[snip")
        {
            return true
        }
        let lower = trimmed.text.lowercased()
        return lower.hasPrefix("<snip") || lower.hasPrefix("--snip") || lower.hasPrefix("-- snip") || lower == "snip"
    }
}
