/// QuotedPrintable encodes text lines (RFC 2045 §6.7): lines of at most 76 characters with
/// soft breaks, `=XX` for `=`, 8-bit and control bytes, and for a space or tab that ends a line.
enum QuotedPrintable {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends the encoding of one line (without its line break) and a CRLF.
    static func appendLine(_ line: ArraySlice<UInt8>, to output: inout [UInt8]) {
        var column = 0
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let literal =
                (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == 0x20 || byte == 0x09) && !isLast)
            let width = literal ? 1 : 3
            // Keep room for the soft break's `=`, unless this is the last byte of the line.
            if column + width > (isLast ? 76 : 75) {
                output.append(UInt8(ascii: "="))
                output.append(13)
                output.append(10)
                column = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 15)])
            }
            column += width
            index += 1
        }
        output.append(13)
        output.append(10)
    }
}
