/// HostPort is `host:port` as the tools and their settings write a server: a name or an IPv4
/// address, or an IPv6 address in brackets (`[::1]:25`); the port may be left out. One parser
/// for `mail-queue send --smtp`, `smtp-repl open_connection`, `serve --listen` and `replay --server`.
public struct HostPort: Sendable, Equatable {
    /// The host, without brackets.
    public let host: String
    /// The text after the colon; nil when no port was written.
    public let portText: String?

    /// Splits `text`.
    /// - Throws: `invalidArgument` (field `host:port`) for an IPv6 address without brackets, a
    ///   missing `]`, or something other than `:PORT` after it.
    public init(parsing text: String) throws(SMTPError) {
        func bad(_ reason: String) -> SMTPError { SMTPError(.invalidArgument(field: "host:port", reason: reason)) }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw bad("the closing ] of the IPv6 address is missing") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw bad("expected host:port, e.g. [::1]:25") }
            portText = rest.isEmpty ? nil : String(rest.dropFirst())
        } else if let colon = text.firstIndex(of: ":") {
            guard text.lastIndex(of: ":") == colon else { throw bad("an IPv6 address goes in brackets, e.g. [::1]:25") }
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        } else {
            host = text
            portText = nil
        }
    }

    /// The reason an `invalidArgument` error from this type gives, without the field name:
    /// what a tool puts after the option and value it names.
    public static func reason(_ error: SMTPError) -> String {
        error.code == .invalidArgument ? error.message ?? error.description : error.description
    }

    /// The port as a number in `range`; nil when none was written (or it is empty).
    /// - Throws: `invalidArgument` when it is not a number in `range`.
    public func port(in range: ClosedRange<Int> = 1...65535) throws(SMTPError) -> Int? {
        guard let portText, !portText.isEmpty else { return nil }
        guard let port = Int(portText), range.contains(port) else {
            throw SMTPError(.invalidArgument(
                field: "host:port", reason: "the port must be a number from \(range.lowerBound) to \(range.upperBound)"))
        }
        return port
    }
}
