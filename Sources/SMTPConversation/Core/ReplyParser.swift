/// ReplyParser turns the bytes a server sends into `Reply` values, incrementally.
///
/// Feed it whatever arrived (`append`), then take complete replies (`nextReply`).
/// Rules (RFC 5321 §4.2): each line is `ddd-text` (more lines follow) or `ddd text` / `ddd`
/// (last line); every line of a reply carries the same code; only the first three characters
/// are read as the code (`250-234 Text beginning with numbers` is code 250). A last line whose
/// space after the code is missing (`250OK`) is tolerated. Lines end with CRLF; a bare LF is
/// accepted as a line end too. A line longer than `maxLineLength` is an error, never a crash,
/// and so is any line that does not start with a valid code.
public struct ReplyParser: Sendable {
    /// The longest line accepted, in octets, without its line ending. RFC 5321 asks for 512.
    public let maxLineLength: Int
    private var buffer: [UInt8] = []
    private var scanned = 0
    private var pendingCode: Int?
    private var pendingLines: [String] = []

    /// Creates a parser with a line-length cap (default 2048 octets).
    public init(maxLineLength: Int = 2048) {
        self.maxLineLength = maxLineLength
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
            throw SMTPError(.malformedReply("expected a three-digit reply code, got \(Self.quote(line))"))
        }
        if let expected = pendingCode, expected != code {
            throw SMTPError(
                .malformedReply("continuation line has code \(code), the reply started with \(expected): \(Self.quote(line))"))
        }
        let isContinuation = line.count > 3 && line[3] == UInt8(ascii: "-")
        var textStart = 3
        if line.count > 3, line[3] == UInt8(ascii: " ") || isContinuation { textStart = 4 }
        guard let text = String(validating: line[textStart...], as: UTF8.self) else {
            throw SMTPError(.malformedReply("reply text is not UTF-8: \(Self.quote(line))"))
        }
        if line.contains(0) {
            throw SMTPError(.malformedReply("reply contains a NUL byte: \(Self.quote(line))"))
        }
        pendingCode = code
        pendingLines.append(text)
        if isContinuation { return nil }
        let reply = Reply(code: code, lines: pendingLines)
        pendingCode = nil
        pendingLines = []
        return reply
    }

    private static func code(_ line: [UInt8]) -> Int? {
        let digits = line.prefix(3)
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let values = digits.map { Int($0 - UInt8(ascii: "0")) }
        guard (2...5).contains(values[0]), (0...5).contains(values[1]) else { return nil }
        return values[0] * 100 + values[1] * 10 + values[2]
    }

    static func quote(_ line: [UInt8]) -> String {
        let shown = line.prefix(80).map { byte -> String in
            switch byte {
            case 0x20..<0x7F: return String(UnicodeScalar(byte))
            default: return "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
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
