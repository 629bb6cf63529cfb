import SMTPConversation
/// Transcript is an SMTP conversation written down, one line per protocol line.
///
/// The format reads the seed's Office365 log verbatim and adds what it lacks:
///
///     # comment                      ignored
///     (connect)                      annotation, kept but not played
///     220 mail.example.com ESMTP     a line the server sends (bare, as in the seed)
///     < 220 mail.example.com ESMTP   the same, explicit (for lines that would read otherwise)
///     > EHLO client.example.com      a line the client sends
///     @tls                           the TLS handshake happens here (inferred after STARTTLS/220)
///     @close                         the server closes the connection here
///     @hang                          the server goes silent until the client gives up
///     @expect error=malformedReply   what a client following this transcript should end with
///
/// Parts that change from run to run are patterns in braces: `{date}`, `{msgid}`, `{host}`,
/// `{any}`. In lines to be matched they match any text; in lines to be sent they are filled
/// in (`{date}` with the current date). Credentials are `{secret}`: a transcript never holds
/// one. `{{` is a literal brace.
public struct Transcript: Sendable, Equatable {
    /// Kind is what one line of a transcript says.
    public enum Kind: Sendable, Equatable {
        /// A command line the client sends.
        case command(String)
        /// A line of message content the client sends after DATA/354 (as on the wire, dot-stuffed).
        case content(String)
        /// The `.` that ends message content.
        case endOfData
        /// A line the server sends.
        case server(String)
        /// The TLS handshake.
        case tls
        /// The server closes the connection.
        case close
        /// The server stops answering.
        case hang
        /// A remark in parentheses.
        case annotation(String)
    }

    /// Entry is one line with its line number in the file (1-based).
    public struct Entry: Sendable, Equatable {
        /// What the line says.
        public var kind: Kind
        /// The line number in the file; 0 for entries that were inferred.
        public var line: Int

        /// Creates an entry.
        public init(_ kind: Kind, line: Int = 0) {
            self.kind = kind
            self.line = line
        }
    }

    /// The lines, in order.
    public var entries: [Entry]
    /// `@expect key=value` settings: what a client that follows this transcript ends with.
    public var expectations: [String: String]
    /// The name used in error messages (usually the file path).
    public var name: String

    /// Creates a transcript from entries.
    public init(entries: [Entry] = [], expectations: [String: String] = [:], name: String = "transcript") {
        self.entries = entries
        self.expectations = expectations
        self.name = name
    }

    /// True when some entry is a TLS boundary.
    public var usesTLS: Bool { entries.contains { $0.kind == .tls } }

    /// True when the TLS handshake comes before the greeting (implicit TLS, port 465).
    public var usesImplicitTLS: Bool {
        entries.first { if case .annotation = $0.kind { return false }; return true }?.kind == .tls
    }

    /// The transcript in its file format.
    public func render() -> String {
        var lines: [String] = []
        for key in expectations.keys.sorted() { lines.append("@expect \(key)=\(expectations[key]!)") }
        for entry in entries {
            switch entry.kind {
            case .command(let text), .content(let text): lines.append(text.isEmpty ? ">" : "> " + text)
            case .endOfData: lines.append("> .")
            case .server(let text): lines.append(Self.needsExplicitServerMarker(text) ? "< " + text : text)
            case .tls: lines.append("@tls")
            case .close: lines.append("@close")
            case .hang: lines.append("@hang")
            case .annotation(let text): lines.append("(\(text))")
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    static func needsExplicitServerMarker(_ text: String) -> Bool {
        guard let first = text.first else { return true }
        return "#>(@<".contains(first) || text.trimmingSpaces().isEmpty
    }
}

/// TranscriptError is a transcript file that cannot be read: it names the file and line.
public struct TranscriptError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or name) of the transcript.
    public var file: String
    /// The 1-based line number.
    public var line: Int
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`.
    public var description: String { "\(file):\(line): \(message)" }
}
