/// Command is one SMTP command as a value that renders its own wire form.
///
/// Rendering refuses CR, LF and NUL in any argument: such a byte would end the command early
/// and let the rest be read as a second command (command injection), so nothing is sent.
public enum Command: Sendable, Equatable {
    /// `HELO domain`.
    case helo(String)
    /// `EHLO domain`.
    case ehlo(String)
    /// `STARTTLS`.
    case startTLS
    /// `AUTH mechanism [initial-response]`; the response is a secret.
    case auth(mechanism: String, initialResponse: String?)
    /// A line answering a 334 AUTH challenge; always a secret.
    case authResponse(String)
    /// `MAIL FROM:<path> [parameters]`; an empty path is the null reverse path `<>`.
    case mail(from: String, parameters: [String])
    /// `RCPT TO:<path> [parameters]`.
    case rcpt(to: String, parameters: [String])
    /// `DATA`.
    case data
    /// `RSET`.
    case rset
    /// `VRFY string`.
    case vrfy(String)
    /// `EXPN string`.
    case expn(String)
    /// `NOOP`.
    case noop
    /// `HELP [topic]`.
    case help(String?)
    /// `QUIT`.
    case quit
    /// Any other command line, sent as given (UTL_SMTP's `command`).
    case raw(String)

    /// The command verb, upper-cased, e.g. `MAIL`.
    public var verb: String {
        switch self {
        case .helo: return "HELO"
        case .ehlo: return "EHLO"
        case .startTLS: return "STARTTLS"
        case .auth: return "AUTH"
        case .authResponse: return ""
        case .mail: return "MAIL"
        case .rcpt: return "RCPT"
        case .data: return "DATA"
        case .rset: return "RSET"
        case .vrfy: return "VRFY"
        case .expn: return "EXPN"
        case .noop: return "NOOP"
        case .help: return "HELP"
        case .quit: return "QUIT"
        case .raw(let line): return String(line.prefix { $0 != " " }).uppercased()
        }
    }

    /// The command line without CRLF; throws `invalidArgument` for CR, LF or NUL in an argument.
    public func line() throws(SMTPError) -> String {
        switch self {
        case .helo(let domain): return "HELO " + (try Self.checked(domain, field: "domain"))
        case .ehlo(let domain): return "EHLO " + (try Self.checked(domain, field: "domain"))
        case .startTLS: return "STARTTLS"
        case .auth(let mechanism, let initial):
            let name = try Self.checked(mechanism, field: "AUTH mechanism", allowEmpty: false)
            guard let initial else { return "AUTH \(name)" }
            return "AUTH \(name) " + (try Self.checked(initial, field: "AUTH initial response", secret: true))
        case .authResponse(let response): return try Self.checked(response, field: "AUTH response", secret: true)
        case .mail(let from, let parameters):
            return "MAIL FROM:" + (try Self.path(from, field: "sender")) + (try Self.parameterText(parameters))
        case .rcpt(let to, let parameters):
            return "RCPT TO:" + (try Self.path(to, field: "recipient", allowNull: false))
                + (try Self.parameterText(parameters))
        case .data: return "DATA"
        case .rset: return "RSET"
        case .vrfy(let text): return "VRFY " + (try Self.checked(text, field: "VRFY argument"))
        case .expn(let text): return "EXPN " + (try Self.checked(text, field: "EXPN argument"))
        case .noop: return "NOOP"
        case .help(let topic):
            guard let topic, !topic.isEmpty else { return "HELP" }
            return "HELP " + (try Self.checked(topic, field: "HELP topic"))
        case .quit: return "QUIT"
        case .raw(let line): return try Self.checked(line, field: "command", allowEmpty: false)
        }
    }

    /// The bytes on the wire: the command line and CRLF.
    public func wireBytes() throws(SMTPError) -> [UInt8] {
        let text = try line()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        bytes.append(contentsOf: text.utf8)
        bytes.append(13)
        bytes.append(10)
        return bytes
    }

    /// What a transcript or log shows in place of a credential.
    public static let secretPlaceholder = "{secret}"

    /// True when the line carries a credential and must never be recorded or logged as sent.
    public var carriesSecret: Bool {
        switch self {
        case .authResponse: return true
        case .auth(_, let initial): return initial != nil
        case .raw(let line): return Self.rawAuthSecretStart(line) != nil
        default: return false
        }
    }

    /// The line as it may be shown in a transcript or log: secrets replaced by `{secret}`.
    public func redactedLine() throws(SMTPError) -> String {
        switch self {
        case .authResponse:
            _ = try line()
            return Command.secretPlaceholder
        case .auth(let mechanism, let initial?):
            _ = try line()
            return initial.isEmpty ? "AUTH \(mechanism) =" : "AUTH \(mechanism) \(Command.secretPlaceholder)"
        case .raw(let text):
            let checked = try line()
            guard let start = Self.rawAuthSecretStart(text) else { return checked }
            return String(text[..<start]) + Command.secretPlaceholder
        default:
            return try line()
        }
    }

    /// Where the initial response of a raw `AUTH MECHANISM RESPONSE` line starts (UTL_SMTP
    /// programs send AUTH PLAIN with `command`); nil for any other line.
    static func rawAuthSecretStart(_ line: String) -> String.Index? {
        let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count == 3, words[0].uppercased() == "AUTH", words[2] != "=" else { return nil }
        return words[2].startIndex
    }

    static func checked(
        _ value: String, field: String, allowEmpty: Bool = true, secret: Bool = false
    ) throws(SMTPError) -> String {
        if !allowEmpty && value.isEmpty {
            throw SMTPError(.invalidArgument(field: field, reason: "must not be empty"))
        }
        // Every command of every message passes here: one pass over the bytes, and the
        // scalar-by-scalar walk (for the offset the error names) only when one is found.
        guard value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return value }
        for (offset, scalar) in value.unicodeScalars.enumerated() {
            let name: String
            switch scalar {
            case "\r": name = "CR"
            case "\n": name = "LF"
            case "\0": name = "NUL"
            default: continue
            }
            let shown = secret ? "" : " in \(ReplyParser.quote(Array(value.utf8)))"
            throw SMTPError(.invalidArgument(field: field, reason: "contains \(name) at offset \(offset)\(shown)"))
        }
        return value
    }

    static func path(_ address: String, field: String, allowNull: Bool = true) throws(SMTPError) -> String {
        let value = try checked(address, field: field)
        // On the UTF-8 bytes (every RCPT of every message passes here): spaces and tabs
        // trimmed, one pair of angle brackets taken off.
        let bytes = value.utf8
        var start = bytes.startIndex, end = bytes.endIndex
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while start < end, isBlank(bytes[start]) { start = bytes.index(after: start) }
        while start < end, isBlank(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        if bytes.distance(from: start, to: end) >= 2, bytes[start] == UInt8(ascii: "<"),
           bytes[bytes.index(before: end)] == UInt8(ascii: ">")
        {
            start = bytes.index(after: start)
            end = bytes.index(before: end)
        }
        let inner = bytes[start..<end]
        if inner.isEmpty && !allowNull {
            throw SMTPError(.invalidArgument(field: field, reason: "must not be empty"))
        }
        if inner.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: " ") }) {
            throw SMTPError(.invalidArgument(field: field, reason: "\(ReplyParser.quote(Array(value.utf8))) is not a mailbox"))
        }
        return "<" + String(Substring(inner)) + ">"
    }

    static func parameterText(_ parameters: [String]) throws(SMTPError) -> String {
        var text = ""
        for parameter in parameters {
            let value = try checked(parameter, field: "parameter", allowEmpty: false)
            if value.utf8.contains(UInt8(ascii: " ")) {
                throw SMTPError(.invalidArgument(field: "parameter", reason: "\"\(value)\" contains a space"))
            }
            text += " " + value
        }
        return text
    }
}

extension String {
    package func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars = scalars.dropFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
