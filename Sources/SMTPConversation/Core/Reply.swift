/// Reply is one SMTP reply: a three-digit code and one or more lines of text (RFC 5321 §4.2).
public struct Reply: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit reply code, e.g. 250.
    public let code: Int
    /// The text of each line, without the code, the separator and the line ending.
    public let lines: [String]

    /// Creates a reply. `lines` must hold at least one line (it may be empty text).
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// Creates a one-line reply.
    public init(_ code: Int, _ text: String) {
        self.init(code: code, lines: [text])
    }

    /// The enhanced status code (RFC 3463, RFC 2034) at the start of the first line, if any,
    /// and only when its class agrees with the reply code's first digit.
    public var enhancedStatusCode: EnhancedStatusCode? {
        guard let first = lines.first, let status = EnhancedStatusCode(prefixOf: first) else { return nil }
        return status.statusClass == code / 100 ? status : nil
    }

    /// The text of all lines joined by a space, for one-line messages.
    public var singleLine: String { "\(code) " + lines.joined(separator: " ") }

    /// The text of all lines joined by newlines, without codes.
    public var text: String { lines.joined(separator: "\n") }

    /// True for 2xx replies.
    public var isPositiveCompletion: Bool { code >= 200 && code < 300 }
    /// True for 3xx replies (e.g. 334 AUTH challenges, 354 start mail input).
    public var isPositiveIntermediate: Bool { code >= 300 && code < 400 }
    /// True for 4xx replies.
    public var isTransientFailure: Bool { code >= 400 && code < 500 }
    /// True for 5xx replies.
    public var isPermanentFailure: Bool { code >= 500 }
    /// True for 4xx and 5xx replies.
    public var isFailure: Bool { code >= 400 }

    /// True when the server says the client must authenticate first: 530 (RFC 4954's
    /// "530 5.7.0 Authentication required"), 5.7.57 (Office365's "Client not authenticated to
    /// send mail"), or 5.7.0 whose text speaks of authentication. No retry fixes it: the sender's
    /// settings lack AUTH.
    public var isAuthenticationRequired: Bool {
        guard isPermanentFailure else { return false }
        if code == 530 { return true }
        guard let status = enhancedStatusCode, status.statusClass == 5, status.subject == 7 else { return false }
        if status.detail == 57 { return true }
        return status.detail == 0 && text.lowercased().contains("auth")
    }

    /// The wire form of the reply: every line but the last uses `-` after the code.
    public var wireLines: [String] {
        lines.enumerated().map { index, line in
            let separator = index == lines.count - 1 ? " " : "-"
            return line.isEmpty && index == lines.count - 1 ? "\(code)" : "\(code)\(separator)\(line)"
        }
    }

    /// The wire bytes of the reply, each line ending with CRLF.
    public var wireBytes: [UInt8] {
        Array(wireLines.map { $0 + "\r\n" }.joined().utf8)
    }

    /// The reply as it appears on the wire, lines separated by newlines.
    public var description: String { wireLines.joined(separator: "\n") }
}

/// EnhancedStatusCode is `class.subject.detail` (RFC 3463), e.g. `5.7.139`.
public struct EnhancedStatusCode: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    public let statusClass: Int
    /// The subject, e.g. 7 for security or policy status.
    public let subject: Int
    /// The detail, e.g. 139.
    public let detail: Int

    /// Creates a status code from its three numbers.
    public init(statusClass: Int, subject: Int, detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// Parses `5.7.8`; returns nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let c = Int(parts[0]), [2, 4, 5].contains(c), parts[0].count == 1,
            let s = Int(parts[1]), (1...3).contains(parts[1].count),
            let d = Int(parts[2]), (1...3).contains(parts[2].count),
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        self.init(statusClass: c, subject: s, detail: d)
    }

    /// Parses the status code at the start of a reply line's text (followed by a space or the end).
    public init?(prefixOf text: String) {
        let token = text.prefix { $0 != " " }
        self.init(String(token))
    }

    /// The `class.subject.detail` form.
    public var description: String { "\(statusClass).\(subject).\(detail)" }

    /// True when `pattern` (`5.7.8`, `5.7.x`, `5.x.x`) matches this code.
    public func matches(_ pattern: String) -> Bool {
        let parts = pattern.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        let mine = [statusClass, subject, detail]
        for (part, value) in zip(parts, mine) where part != "x" && part != "*" {
            guard Int(part) == value else { return false }
        }
        return true
    }
}
