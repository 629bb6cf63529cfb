import SMTPConversation
/// MatchMode says how closely a live conversation must follow a transcript.
public enum MatchMode: String, Sendable, CaseIterable {
    /// By meaning: the same verbs, the same addresses in MAIL and RCPT, the same AUTH
    /// mechanism (and initial response, when the transcript writes one out literally) and TLS
    /// boundary; EHLO names, `{secret}` credentials, ESMTP parameters and message content may
    /// differ. Patterns still apply.
    case meaning
    /// Byte for byte, except where the transcript has patterns.
    case strict
}

/// TranscriptMatcher decides whether a line seen live matches a line of a transcript.
public struct TranscriptMatcher: Sendable {
    /// How closely to match.
    public var mode: MatchMode

    /// Creates a matcher.
    public init(mode: MatchMode) {
        self.mode = mode
    }

    /// True when `actual`, a client command line, matches the transcript's `expected` line.
    public func commandMatches(expected: String, actual: String) -> Bool {
        let pattern = TranscriptPattern(expected)
        if pattern.isSecret || pattern.matches(actual) { return true }
        guard mode == .meaning else { return false }
        let expectedVerb = Self.verb(expected)
        guard expectedVerb == Self.verb(actual) else { return false }
        switch expectedVerb {
        case "EHLO", "HELO":
            return true
        case "MAIL", "RCPT":
            guard let wanted = Self.address(expected), let got = Self.address(actual) else { return false }
            return TranscriptPattern(wanted).matches(got, caseInsensitive: true)
        case "AUTH":
            guard Self.word(expected, 1)?.uppercased() == Self.word(actual, 1)?.uppercased() else { return false }
            // A literal initial response (e.g. the exact XOAUTH2 string a test expects) is checked;
            // `{secret}` or none matches any credential.
            guard let response = Self.word(expected, 2), !TranscriptPattern(response).hasPlaceholders else { return true }
            return Self.word(actual, 2) == response
        default:
            return pattern.matches(actual, caseInsensitive: true)
        }
    }

    /// True when a line of message content matches; in meaning mode content is not compared.
    public func contentMatches(expected: String, actual: String) -> Bool {
        mode == .meaning || TranscriptPattern(expected).matches(actual)
    }

    /// True when a reply matches the transcript's reply lines: codes always; the text in strict
    /// mode (with patterns).
    public func replyMatches(expected: [String], actual: Reply) -> Bool {
        let parsed = Self.reply(from: expected)
        guard let parsed, parsed.code == actual.code else { return false }
        guard mode == .strict else { return true }
        guard parsed.lines.count == actual.lines.count else { return false }
        return zip(parsed.lines, actual.lines).allSatisfy { TranscriptPattern($0).matches($1) }
    }

    /// The reply the transcript's server lines make, or nil when they are not a reply.
    public static func reply(from lines: [String]) -> Reply? {
        var parser = ReplyParser(maxLineLength: 1 << 20)
        parser.append(Array(lines.map { $0 + "\r\n" }.joined().utf8))
        return (try? parser.nextReply()) ?? nil
    }

    static func verb(_ line: String) -> String {
        let upper = line.uppercased()
        if upper.hasPrefix("MAIL FROM:") { return "MAIL" }
        if upper.hasPrefix("RCPT TO:") { return "RCPT" }
        return String(upper.prefix { $0 != " " })
    }

    static func address(_ line: String) -> String? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        var rest = line[line.index(after: colon)...].drop { $0 == " " }
        if rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        rest = rest.prefix { $0 != " " }
        return String(rest)
    }

    static func word(_ line: String, _ index: Int) -> String? {
        let words = line.split(separator: " ")
        return index < words.count ? String(words[index]) : nil
    }
}
