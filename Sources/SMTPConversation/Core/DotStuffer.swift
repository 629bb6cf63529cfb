/// DotStuffer frames a message body for DATA (RFC 5321 §4.5.2), chunk by chunk.
///
/// - every line that starts with `.` gets a second `.` (dot-stuffing), also across chunk boundaries;
/// - a bare LF becomes CRLF, so text with Unix line endings can be sent as is;
/// - a bare CR (one not followed by LF) is refused: servers disagree on what it means, which is
///   how SMTP smuggling works (CVE-2023-51764 and relatives);
/// - `finish` ends the last line with CRLF if needed and adds the terminating `.` line.
///
/// A chunk that is refused leaves the stuffer as it was before the chunk, so nothing of it is sent.
public struct DotStuffer: Sendable {
    private var atLineStart = true
    private var pendingCR = false
    /// The number of body octets accepted so far (before stuffing).
    public private(set) var inputCount = 0

    /// Creates a stuffer at the start of a body.
    public init() {}

    /// Encodes one chunk of the body; throws `invalidArgument` for a bare CR.
    public mutating func encode<Bytes: Collection>(_ chunk: Bytes) throws(SMTPError) -> [UInt8]
    where Bytes.Element == UInt8 {
        // One non-generic loop over contiguous bytes: a generic byte-by-byte iteration, not
        // specialised for callers in other modules, cost more than the rest of a send.
        let result = chunk.withContiguousStorageIfAvailable { encode(contiguous: $0) }
            ?? Array(chunk).withUnsafeBufferPointer { encode(contiguous: $0) }
        return try result.get()
    }

    private mutating func encode(contiguous input: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], SMTPError> {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 64 + 2)
        var atLineStart = self.atLineStart
        var pendingCR = self.pendingCR
        var index = 0
        while index < input.count {
            if pendingCR {
                guard input[index] == lf else { return .failure(bareCR(at: inputCount + index - 1)) }
                pendingCR = false
                output.append(cr)
                output.append(lf)
                atLineStart = true
                index += 1
                continue
            }
            if atLineStart && input[index] == dot { output.append(dot) }
            // Copy the run up to the next CR or LF as it is.
            var end = index
            while end < input.count, input[end] != cr, input[end] != lf { end += 1 }
            if end > index {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: input[index..<end]))
                atLineStart = false
            }
            guard end < input.count else { break }
            if input[end] == lf {
                output.append(cr)
                output.append(lf)
                atLineStart = true
            } else {
                pendingCR = true
            }
            index = end + 1
        }
        self.atLineStart = atLineStart
        self.pendingCR = pendingCR
        inputCount += input.count
        return .success(output)
    }

    /// Ends the body: CRLF if the last line is open, then `.` CRLF.
    public mutating func finish() throws(SMTPError) -> [UInt8] {
        if pendingCR { throw bareCR(at: inputCount - 1) }
        var output: [UInt8] = []
        output.reserveCapacity(5)
        if !atLineStart { output.append(cr); output.append(lf) }
        output.append(dot)
        output.append(cr)
        output.append(lf)
        atLineStart = true
        return output
    }

    private func bareCR(at offset: Int) -> SMTPError {
        SMTPError(.invalidArgument(
            field: "message body",
            reason: "bare CR (not followed by LF) at octet \(offset); refused because servers read it differently (SMTP smuggling)"))
    }
}

private let cr = UInt8(ascii: "\r")
private let lf = UInt8(ascii: "\n")
private let dot = UInt8(ascii: ".")
