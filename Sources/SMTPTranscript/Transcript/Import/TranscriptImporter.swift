import SMTPConversation
/// TranscriptImporter turns a conversation captured by another tool into a transcript, so it can
/// be served, replayed or kept as a fixture.
///
/// Each format's reader is tolerant: it finds the SMTP conversation inside whatever surrounds it
/// (a build log, a logger's prefixes, indentation, a stack trace, lines wrapped at 80 columns, a
/// file saved as UTF-16 by PowerShell) and skips, and counts, every line that is not part of it.
/// A line becomes a client line only when it is one. What was assumed or left out is said in the
/// transcript; credentials become `{secret}`; `Date:`, `Message-ID:` and queue ids become patterns.
/// The first conversation is converted; later ones in the same capture are counted.
public enum TranscriptImporter {
    /// Format names a capture's tool.
    public enum Format: String, CaseIterable, Sendable {
        /// JavaMail / Jakarta Mail / Angus Mail with `mail.debug=true`.
        case javamail
        /// Python smtplib with `set_debuglevel(1)` or `(2)` (`send: …`, `reply: b'…'`).
        case smtplib
        /// swaks' terminal output (`<-`, ` ->`, `<~`, ` ~>`, `<**`, `===`).
        case swaks
        /// `C:` / `S:` exchanges (RFC examples, MailKit's protocol log).
        case cs
        /// An `openssl s_client` or telnet session (client lines unmarked).
        case openssl
        /// PHPMailer's `SMTPDebug` output (`CLIENT -> SERVER:` / `SERVER -> CLIENT:`).
        case phpmailer
        /// `curl -v` for `smtp://` URLs (`> ` / `< `).
        case curl
        /// Postfix `debug_peer_list` log lines (`postfix/smtp[…]: > host[addr]:25: …`).
        case postfix

        /// The format named `name` (case-insensitive; `jakarta` and `angus` name JavaMail).
        public init?(name: String) {
            let lower = name.lowercased()
            switch lower {
            case "jakarta", "jakartamail", "angus", "java": self = .javamail
            case "python": self = .smtplib
            case "telnet", "s_client": self = .openssl
            case "c:/s:", "c/s", "rfc", "mailkit": self = .cs
            default:
                guard let format = Format(rawValue: lower) else { return nil }
                self = format
            }
        }

        var reader: any CaptureReader.Type {
            switch self {
            case .javamail: JavaMailReader.self
            case .smtplib: SmtplibReader.self
            case .swaks: SwaksReader.self
            case .cs: ClientServerReader.self
            case .openssl: SessionReader.self
            case .phpmailer: PHPMailerReader.self
            case .curl: CurlReader.self
            case .postfix: PostfixReader.self
            }
        }
    }

    /// Result is a converted capture with what the conversion found on the way.
    public struct Result: Sendable {
        /// The conversation.
        public var transcript: Transcript
        /// The format read (chosen, or detected).
        public var format: Format
        /// True when the format was detected rather than given.
        public var detected: Bool
        /// Lines that were not part of the conversation.
        public var skipped: Int
        /// Those lines with their numbers, credentials redacted (only when asked for).
        public var skippedLines: [SkippedLine]
        /// Parts the capture left out.
        public var elided: Int
        /// True when the capture has no greeting and a 220 was assumed.
        public var assumedGreeting: Bool
        /// Conversations in the capture after the one converted.
        public var laterConversations: Int
        /// Lines after the converted conversation (not read one by one).
        public var linesAfter: Int
        /// The capture's text encoding.
        public var encoding: String
        /// The width at which the capture's lines were found wrapped (and joined again), if any.
        public var wrapWidth: Int?
    }

    /// SkippedLine is a capture line that was not part of the conversation.
    public struct SkippedLine: Sendable, Equatable {
        /// Its 1-based number in the capture.
        public var line: Int
        /// Its text, credentials redacted.
        public var text: String
    }

    /// Converts a capture held in memory.
    /// - Throws: `TranscriptError` when the capture holds no SMTP conversation (naming what it holds).
    public static func importing(_ text: String, format: Format, name: String = "imported") throws(TranscriptError)
        -> Transcript
    {
        try convert(Array(text.utf8), format: format, name: name).transcript
    }

    /// Converts a capture held in memory, detecting its format when `format` is nil.
    public static func convert(_ bytes: [UInt8], format: Format? = nil, name: String = "imported", keepSkipped: Bool = false)
        throws(TranscriptError) -> Result
    {
        var importer = CaptureImport(format: format, name: name, keepSkipped: keepSkipped)
        importer.feed(bytes)
        return try importer.finish()
    }
}

/// CaptureLine is one line of a capture (UTF-8, without its line end) and its 1-based number.
struct CaptureLine {
    var bytes: ArraySlice<UInt8>
    var number: Int
}

/// CaptureReader finds one format's conversation in a capture, line by line.
protocol CaptureReader {
    /// How strongly `line` says that the capture is in this format (0: not at all).
    static func evidence(_ line: ArraySlice<UInt8>) -> Int
    init()
    /// Reads one line.
    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder)
    /// The capture ended.
    mutating func finish(into builder: inout ImportBuilder)
    /// True when the line starts another conversation (counted once the first is converted).
    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool
}

extension CaptureReader {
    mutating func finish(into builder: inout ImportBuilder) {}

    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool { false }
}
