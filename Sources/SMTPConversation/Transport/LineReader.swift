/// LineReader reads CRLF- (or LF-) terminated lines from a byte stream, keeping what follows.
package final class LineReader {
    package var stream: any ByteStream
    private(set) var buffer: [UInt8] = []
    package let maxLineLength: Int

    package init(stream: any ByteStream, maxLineLength: Int = 1 << 16) {
        self.stream = stream
        self.maxLineLength = maxLineLength
    }

    /// The next line without its line end (and whether it ended in CRLF); nil at end of stream.
    package func readLine(deadline: Deadline) throws(SMTPError) -> (text: [UInt8], crlf: Bool)? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                let crlf = line.last == UInt8(ascii: "\r")
                if crlf { line.removeLast() }
                return (line, crlf)
            }
            if buffer.count > maxLineLength {
                throw SMTPError(.malformedReply("a line longer than \(maxLineLength) octets"))
            }
            let chunk = try stream.read(max: 16384, deadline: deadline)
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }

    /// Removes and returns bytes read but not yet returned as lines.
    package func takeBuffered() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }
}
