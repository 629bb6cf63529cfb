import SMTPConversation
/// CaptureSyntax holds the tests every format's reader shares: is this an SMTP command, is this an
/// elision a person left in a paste.
enum CaptureSyntax {
    /// The verbs, each packed into an integer (upper case, up to 8 letters) so that the test
    /// allocates nothing: it runs on every line of a log.
    private static let verbs: Set<UInt64> = Set([
        "EHLO", "HELO", "LHLO", "DATA", "QUIT", "RSET", "NOOP", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "BDAT",
        "ETRN", "TURN", "ATRN", "XCLIENT", "XFORWARD", "SEND", "SOML", "SAML",
    ].map { packed(Array($0.utf8)[...]) })
    private static let mail = packed(Array("MAIL".utf8)[...])
    private static let rcpt = packed(Array("RCPT".utf8)[...])

    static func packed(_ word: ArraySlice<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for byte in word { key = key << 8 | UInt64(byte >= 97 && byte <= 122 ? byte - 32 : byte) }
        return key
    }

    /// True when the line is an SMTP command (`MAIL FROM:`, `RCPT TO:`, or a known verb alone or
    /// followed by a space), in any case.
    static func isCommand(_ line: ArraySlice<UInt8>) -> Bool {
        var end = line.startIndex
        while end < line.endIndex && end - line.startIndex < 9 && line[end] != 32 && line[end] != 58 { end += 1 }
        let length = end - line.startIndex
        guard length >= 4, length <= 8 else { return false }
        let key = packed(line[line.startIndex..<end])
        if key == mail { return hasPrefixIgnoringCase(line, "MAIL FROM:") }
        if key == rcpt { return hasPrefixIgnoringCase(line, "RCPT TO:") }
        guard verbs.contains(key) else { return false }
        return end == line.endIndex || line[end] == 32
    }

    /// True when `line` starts with `prefix` (upper case ASCII), in any case.
    static func hasPrefixIgnoringCase(_ line: ArraySlice<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard line.count >= count else { return false }
        return prefix.withUTF8Buffer { pattern in
            var index = line.startIndex
            for byte in pattern {
                let actual = line[index]
                if (actual >= 97 && actual <= 122 ? actual - 32 : actual) != byte { return false }
                index += 1
            }
            return true
        }
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
        return hasPrefixIgnoringCase(trimmed, "<SNIP") || hasPrefixIgnoringCase(trimmed, "--SNIP")
            || hasPrefixIgnoringCase(trimmed, "-- SNIP") || (trimmed.count == 4 && hasPrefixIgnoringCase(trimmed, "SNIP"))
    }
}
