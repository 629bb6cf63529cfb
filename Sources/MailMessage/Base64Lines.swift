/// Base64Lines is a streaming base64 encoder (RFC 2045 §6.8): 76-character lines ending in CRLF.
///
/// Bytes go in in chunks of any size; the 0–2 bytes that do not fill a group wait for the next
/// chunk, so a file can be encoded piece by piece without holding it or its encoding whole.
struct Base64Lines {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let lineLength = 76

    private var carry: (UInt8, UInt8) = (0, 0)
    private var carryCount = 0
    private var column = 0

    /// Appends the encoding of `chunk` to `output` (whole groups only; the rest is carried).
    mutating func append(_ chunk: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        var index = 0
        let count = chunk.count
        if count == 0 { return }
        output.reserveCapacity(output.count + (count + 2) / 3 * 4 + (count / 57 + 2) * 2)
        // Complete a group begun by the previous chunk.
        if carryCount == 1 && index < count {
            carry.1 = chunk[index]
            carryCount = 2
            index += 1
        }
        if carryCount == 2 && index < count {
            emit(carry.0, carry.1, chunk[index], into: &output)
            carryCount = 0
            index += 1
        }
        // Fast path: whole 57-byte lines when at a line start, written in place.
        if column == 0 && count - index >= 57 {
            let lines = (count - index) / 57
            let base = output.count
            output.append(contentsOf: repeatElement(0, count: lines * 78))
            Self.alphabet.withUnsafeBufferPointer { table in
                output.withUnsafeMutableBufferPointer { out in
                    var o = base
                    var i = index
                    for _ in 0..<lines {
                        for _ in 0..<19 {
                            let value = UInt32(chunk[i]) << 16 | UInt32(chunk[i + 1]) << 8 | UInt32(chunk[i + 2])
                            out[o] = table[Int(value >> 18)]
                            out[o + 1] = table[Int(value >> 12 & 63)]
                            out[o + 2] = table[Int(value >> 6 & 63)]
                            out[o + 3] = table[Int(value & 63)]
                            o += 4
                            i += 3
                        }
                        out[o] = 13
                        out[o + 1] = 10
                        o += 2
                    }
                }
            }
            index += lines * 57
        }
        while count - index >= 3 {
            emit(chunk[index], chunk[index + 1], chunk[index + 2], into: &output)
            index += 3
        }
        if index < count {
            carry.0 = chunk[index]
            carryCount = 1
            if index + 1 < count {
                carry.1 = chunk[index + 1]
                carryCount = 2
            }
        }
    }

    /// Appends the encoding of an array chunk.
    mutating func append(_ chunk: [UInt8], to output: inout [UInt8]) {
        chunk.withUnsafeBytes { append($0, to: &output) }
    }

    private mutating func emit(_ a: UInt8, _ b: UInt8, _ c: UInt8, into output: inout [UInt8]) {
        let value = UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
        output.append(Self.alphabet[Int(value >> 18)])
        output.append(Self.alphabet[Int(value >> 12 & 63)])
        output.append(Self.alphabet[Int(value >> 6 & 63)])
        output.append(Self.alphabet[Int(value & 63)])
        column += 4
        if column >= Self.lineLength {
            output.append(13)
            output.append(10)
            column = 0
        }
    }

    /// Writes the carried bytes with padding and ends the last line with CRLF.
    mutating func finish(to output: inout [UInt8]) {
        if carryCount > 0 {
            let value = UInt32(carry.0) << 16 | UInt32(carryCount == 2 ? carry.1 : 0) << 8
            output.append(Self.alphabet[Int(value >> 18)])
            output.append(Self.alphabet[Int(value >> 12 & 63)])
            output.append(carryCount == 2 ? Self.alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
            column += 4
            carryCount = 0
        }
        if column > 0 {
            output.append(13)
            output.append(10)
            column = 0
        }
    }

    /// Appends base64 of `bytes` with padding and no line breaks (for encoded words).
    static func appendPlain(_ bytes: [UInt8], to output: inout [UInt8]) {
        var index = 0
        while index < bytes.count {
            let a = bytes[index]
            let b = index + 1 < bytes.count ? bytes[index + 1] : 0
            let c = index + 2 < bytes.count ? bytes[index + 2] : 0
            let value = UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
            output.append(alphabet[Int(value >> 18)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(index + 1 < bytes.count ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(value & 63)] : UInt8(ascii: "="))
            index += 3
        }
    }
}
