/// ReplyParser turns the bytes a server sends into `Reply` values, incrementally.
///
/// Feed it whatever arrived (`append`), then take complete replies (`nextReply`).
/// Rules (RFC 5321 §4.2): each line is `ddd-text` (more lines follow) or `ddd text` / `ddd`
/// (last line); every line of a reply carries the same code; only the first three characters
/// are read as the code (`250-234 Text beginning with numbers` is code 250), and a fourth digit
/// (`2500 hi`) makes the line malformed. A last line whose space after the code is missing
/// (`250OK`) is tolerated. Lines end with CRLF; a bare LF is accepted as a line end too. Text that
/// is not UTF-8 (a server answering in Shift_JIS) keeps its code; its undecodable bytes are shown
/// escaped (`\x82`). A line longer than `maxLineLength` is an error, never a crash, and so is any
/// line that does not start with a valid code, a NUL byte, and a reply of more than `maxLines`
/// lines or `maxBytes` octets: the reply is read before STARTTLS, so anyone on the path could
/// otherwise grow the client's memory without end.
public struct ReplyParser: Sendable {
    /// The longest line accepted, in octets, without its line ending. RFC 5321 asks for 512.
    public let maxLineLength: Int
    /// The most lines one reply may have (a large server's EHLO has about 20).
    public let maxLines: Int
    /// The most octets one reply may have, line ends included.
    public let maxBytes: Int
    private var buffer: [UInt8] = []
    private var scanned = 0
    private var pendingCode: Int?
    private var pendingLines: [String] = []
    private var pendingBytes = 0
    /// What an error quoting a malformed line must not show (set by `Conversation`: the secrets
    /// its AUTH exchanges sent).
    public var secrets = SecretPatterns()

    /// The default cap on a reply's lines: 512.
    public static let defaultMaxLines = 512
    /// The default cap on a reply's size: 64 KiB.
    public static let defaultMaxBytes = 65536

    /// Creates a parser with a line-length cap (default 2048 octets) and caps on a whole reply
    /// (default 512 lines, 64 KiB).
    public init(maxLineLength: Int = 2048, maxLines: Int = defaultMaxLines, maxBytes: Int = defaultMaxBytes) {
        self.maxLineLength = maxLineLength
        self.maxLines = maxLines
        self.maxBytes = maxBytes
    }

    /// Adds bytes received from the server.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The number of received bytes not yet consumed as part of a complete reply.
    public var bufferedByteCount: Int { buffer.count }

    /// True when part of a multi-line reply has been read and the rest is still missing.
    public var isInsideReply: Bool { pendingCode != nil || !buffer.isEmpty }

    /// Removes and returns the bytes not yet consumed (used when a transport changes, e.g. STARTTLS).
    public mutating func takeBufferedBytes() -> [UInt8] {
        defer { buffer = []; scanned = 0 }
        return buffer
    }

    /// Returns the next complete reply, nil when more bytes are needed, or throws
    /// `malformedReply` / `lineTooLong` when the server is not speaking SMTP.
    public mutating func nextReply() throws(SMTPError) -> Reply? {
        while let line = try nextLine() {
            if let reply = try accept(line) { return reply }
        }
        return nil
    }

    private mutating func nextLine() throws(SMTPError) -> [UInt8]? {
        let newline = UInt8(ascii: "\n")
        var index = scanned
        while index < buffer.count, buffer[index] != newline { index += 1 }
        guard index < buffer.count else {
            scanned = index
            if buffer.count > maxLineLength + 1 { throw SMTPError(.lineTooLong(limit: maxLineLength)) }
            return nil
        }
        var end = index
        if end > 0, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if end > maxLineLength { throw SMTPError(.lineTooLong(limit: maxLineLength)) }
        let line = Array(buffer[0..<end])
        buffer.removeSubrange(0...index)
        scanned = 0
        return line
    }

    private mutating func accept(_ line: [UInt8]) throws(SMTPError) -> Reply? {
        guard line.count >= 3, let code = Self.code(line) else {
            throw SMTPError(.malformedReply("expected a three-digit reply code, got \(quoteRedacted(line))"))
        }
        if let expected = pendingCode, expected != code {
            throw SMTPError(
                .malformedReply("continuation line has code \(code), the reply started with \(expected): \(quoteRedacted(line))"))
        }
        if line.count > 3, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[3]) {
            throw SMTPError(.malformedReply("a reply code has three digits, got \(quoteRedacted(line))"))
        }
        let isContinuation = line.count > 3 && line[3] == UInt8(ascii: "-")
        var textStart = 3
        if line.count > 3, line[3] == UInt8(ascii: " ") || isContinuation { textStart = 4 }
        if line.contains(0) {
            throw SMTPError(.malformedReply("reply contains a NUL byte: \(quoteRedacted(line))"))
        }
        pendingBytes += line.count + 2
        guard pendingLines.count < maxLines, pendingBytes <= maxBytes else {
            throw SMTPError(.malformedReply(
                "a reply longer than \(maxLines) lines or \(maxBytes) octets (code \(code)); no SMTP server sends one"))
        }
        pendingCode = code
        pendingLines.append(Self.text(line[textStart...]))
        if isContinuation { return nil }
        let reply = Reply(code: code, lines: pendingLines)
        pendingCode = nil
        pendingLines = []
        pendingBytes = 0
        return reply
    }

    /// The reply text: UTF-8 as it is; any byte that is not part of valid UTF-8 (Shift_JIS,
    /// Latin-1) written `\xNN`, so the code still counts and the text can be shown.
    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var result = ""
        var index = bytes.startIndex
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                result.unicodeScalars.append(Unicode.UTF8.decode(encoded))
                index += encoded.count
            case .error(let length):
                for byte in bytes[index..<index + length] { result += "\\x" + Self.hex(byte) }
                index += length
            case .emptyInput:
                return result
            }
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }

    private static func code(_ line: [UInt8]) -> Int? {
        let digits = line.prefix(3)
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let values = digits.map { Int($0 - UInt8(ascii: "0")) }
        guard (2...5).contains(values[0]), (0...5).contains(values[1]) else { return nil }
        return values[0] * 100 + values[1] * 10 + values[2]
    }

    /// `line` quoted for an error message with `secrets` removed first, so the cut at 80 octets
    /// cannot leave half of one.
    private func quoteRedacted(_ line: [UInt8]) -> String { Self.quote(secrets.redacting(bytes: line)) }

    /// The start of `line` for an error message: 80 octets at most, escaped.
    static func quote(_ line: [UInt8]) -> String {
        let shown = line.prefix(80).map { byte -> String in
            switch byte {
            case 0x20..<0x7F: return String(UnicodeScalar(byte))
            default: return "\\x" + hex(byte)
            }
        }.joined()
        return "\"" + shown + (line.count > 80 ? "…" : "") + "\""
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
