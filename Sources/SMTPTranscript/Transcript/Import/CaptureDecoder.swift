import SMTPConversation
#if canImport(Glibc)
import Glibc
#endif

/// CaptureDecoder turns a capture's bytes, in whatever encoding a tool or an editor saved them
/// (UTF-8 with or without a byte order mark, UTF-16 LE or BE as Windows PowerShell writes with
/// `>` or `Out-File`), into lines of UTF-8 without their line ends (CRLF, LF), a chunk at a time,
/// so a large log is never held whole.
public struct CaptureDecoder: Sendable {
    /// Encoding is what the capture was found to be written in.
    public enum Encoding: String, Sendable {
        /// Not known yet (nothing fed).
        case unknown
        /// UTF-8 (or ASCII).
        case utf8 = "UTF-8"
        /// UTF-8 with a byte order mark.
        case utf8BOM = "UTF-8 with BOM"
        /// UTF-16, little endian.
        case utf16LE = "UTF-16LE"
        /// UTF-16, big endian.
        case utf16BE = "UTF-16BE"
    }

    /// The encoding found in the first bytes.
    public private(set) var encoding = Encoding.unknown
    /// True once a line ended with CRLF.
    public private(set) var sawCRLF = false
    private var start: [UInt8] = []
    private var partial: [UInt8] = []
    private var oddByte: UInt8?
    private var highSurrogate: UInt16?

    /// Creates a decoder.
    public init() {}

    /// Decodes `chunk` and calls `emit` with each complete line (without its line end).
    public mutating func feed(_ chunk: [UInt8], _ emit: (ArraySlice<UInt8>) -> Void) {
        var bytes = chunk
        if encoding == .unknown {
            start += bytes
            guard start.count >= 4 else { return }
            bytes = start
            start = []
            encoding = Self.sniff(bytes)
            switch encoding {
            case .utf8BOM: bytes.removeFirst(3)
            case .utf16LE, .utf16BE:
                if (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) { bytes.removeFirst(2) }
            default: break
            }
        }
        switch encoding {
        case .utf16LE, .utf16BE: split(transcoded(bytes), emit)
        default: split(bytes, emit)
        }
    }

    /// Emits the last line when the capture does not end with a line end.
    public mutating func finish(_ emit: (ArraySlice<UInt8>) -> Void) {
        if encoding == .unknown, !start.isEmpty {
            let rest = start
            start = []
            encoding = Self.sniff(rest + [0, 0, 0, 0])
            if encoding == .unknown || encoding == .utf8BOM && rest.count < 3 { encoding = .utf8 }
            feed(rest, emit)
        }
        if !partial.isEmpty {
            if partial.last == 13 { partial.removeLast() }
            emit(partial[...])
            partial = []
        }
    }

    static func sniff(_ bytes: [UInt8]) -> Encoding {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return .utf8BOM }
        if bytes.starts(with: [0xFF, 0xFE]) { return .utf16LE }
        if bytes.starts(with: [0xFE, 0xFF]) { return .utf16BE }
        // No BOM: ASCII text in UTF-16 has a zero in every other byte.
        if bytes[0] != 0 && bytes[1] == 0 && bytes[2] != 0 && bytes[3] == 0 { return .utf16LE }
        if bytes[0] == 0 && bytes[1] != 0 && bytes[2] == 0 && bytes[3] != 0 { return .utf16BE }
        return .utf8
    }

    private mutating func split(_ bytes: [UInt8], _ emit: (ArraySlice<UInt8>) -> Void) {
        var lineStart = 0
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let count = buffer.count
            var index = 0
            while index < count {
                // memchr finds the next line end: it runs over every byte of a log.
                guard let found = memchr(base + index, 10, count - index) else { break }
                index = UnsafeRawPointer(found) - UnsafeRawPointer(base)
                do {
                    var end = index
                    if partial.isEmpty {
                        if end > lineStart && bytes[end - 1] == 13 { end -= 1; sawCRLF = true }
                        emit(bytes[lineStart..<end])
                    } else {
                        partial += bytes[lineStart..<end]
                        if partial.last == 13 { partial.removeLast(); sawCRLF = true }
                        emit(partial[...])
                        partial = []
                    }
                    lineStart = index + 1
                }
                index += 1
            }
        }
        if lineStart < bytes.count { partial += bytes[lineStart...] }
    }

    private mutating func transcoded(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        if let oddByte { bytes.insert(oddByte, at: 0) }
        oddByte = bytes.count % 2 == 1 ? bytes.removeLast() : nil
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 2)
        var index = 0
        while index + 1 < bytes.count {
            let unit = encoding == .utf16LE
                ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
                : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
            index += 2
            var scalar: UInt32
            if let high = highSurrogate {
                highSurrogate = nil
                if unit >= 0xDC00 && unit < 0xE000 {
                    scalar = 0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(unit - 0xDC00)
                } else {
                    scalar = 0xFFFD
                    index -= 2
                }
            } else if unit >= 0xD800 && unit < 0xDC00 {
                highSurrogate = unit
                continue
            } else if unit >= 0xDC00 && unit < 0xE000 {
                scalar = 0xFFFD
            } else {
                scalar = UInt32(unit)
            }
            if scalar == 0xFEFF { continue }
            output += Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
        }
        return output
    }
}
