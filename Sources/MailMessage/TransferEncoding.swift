/// TransferEncoding is a part's Content-Transfer-Encoding (RFC 2045 §6).
public enum TransferEncoding: String, Sendable, Hashable {
    /// Lines of at most 998 octets of US-ASCII without NUL (ISO-2022-JP text is 7bit).
    case sevenBit = "7bit"
    /// Like 7bit but with 8-bit octets; only sent when the server offers 8BITMIME.
    case eightBit = "8bit"
    /// Quoted-printable: mostly ASCII text with a few 8-bit octets or long lines.
    case quotedPrintable = "quoted-printable"
    /// Base64: attachments, and text that is mostly 8-bit (Japanese in UTF-8, Shift_JIS, EUC-JP).
    case base64
}

/// TextBody converts a text part to its charset and picks the transfer encoding: 7bit when it
/// is already 7-bit with short lines, 8bit when allowed, otherwise quoted-printable for mostly
/// ASCII text and base64 for mostly 8-bit text. Line breaks (LF, CR or CRLF) become CRLF.
enum TextBody {
    static func encode(
        _ text: String, charset: MessageCharset, converter: CharsetConverter?, allow8Bit: Bool,
        field: String
    ) throws(MessageError) -> (encoding: TransferEncoding, bytes: [UInt8]) {
        let bytes = Array(text.utf8)
        // Split into lines on CRLF, LF or CR, by bytes: in UTF-8 these bytes never occur inside
        // another character, and CR and LF never join a grapheme cluster, so this is the same
        // split as by Character, without the cost of grapheme breaking.
        // (Over the raw buffer: every text part of every queued message passes here.)
        var lines: [Range<Int>] = []
        var current = 0
        var eightBitInText = 0
        var nul: Int?
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                let byte = buffer[index]
                if byte >= 0x80 {
                    eightBitInText += 1
                } else if byte == 0 {
                    nul = index
                    return
                } else if byte == 0x0A || byte == 0x0D {
                    lines.append(current..<index)
                    if byte == 0x0D, index + 1 < buffer.count, buffer[index + 1] == 0x0A { index += 1 }
                    current = index + 1
                }
                index += 1
            }
        }
        if let nul {
            throw MessageError(
                .unrepresentableCharacter, field: field,
                reason: "contains NUL at byte \(nul); text parts cannot carry NUL")
        }
        let hasFinalBreak = current == bytes.count && !lines.isEmpty
        if !hasFinalBreak { lines.append(current..<bytes.count) }

        func choose(eightBit: Int, longest: Int, count: Int) -> TransferEncoding {
            if eightBit == 0 && longest <= 998 { return .sevenBit }
            if allow8Bit && longest <= 998 { return .eightBit }
            if eightBit * 5 > count || charset != .utf8 { return .base64 }
            return .quotedPrintable
        }
        // UTF-8 text that goes as it is (7bit or 8bit): its lines straight from the text, each
        // ended with CRLF, with no converted copy in between.
        if charset == .utf8 {
            var longest = 0
            for line in lines { longest = max(longest, line.count) }
            let encoding = choose(eightBit: eightBitInText, longest: longest, count: bytes.count)
            if encoding == .sevenBit || encoding == .eightBit {
                return (encoding, crlfLines(bytes, lines, finalBreak: hasFinalBreak))
            }
        }

        // Convert line by line so that every ISO-2022-JP line ends in ASCII (RFC 1468).
        var converted: [UInt8] = []
        var ends: [Int] = []
        converted.reserveCapacity(bytes.count + lines.count * 2 + 16)
        var longest = 0
        var eightBit = 0
        if charset == .utf8 {
            for line in lines {
                converted.append(contentsOf: bytes[line])
                ends.append(converted.count)
                longest = max(longest, line.count)
            }
            // Line breaks are ASCII: the text's 8-bit bytes are the converted text's.
            eightBit = eightBitInText
        } else {
            let converter = try CharsetConverter.reusing(converter, charset, field: field)
            for line in lines {
                let start = converted.count
                do { try converter.convert(String(decoding: bytes[line], as: UTF8.self), field: field, into: &converted) } catch {
                    // Name the character by its place in the whole text, not the line.
                    _ = try converter.convert(text, field: field)
                    throw error
                }
                ends.append(converted.count)
                longest = max(longest, converted.count - start)
            }
            for byte in converted where byte >= 0x80 { eightBit += 1 }
        }
        let encoding = choose(eightBit: eightBit, longest: longest, count: converted.count)

        var output: [UInt8] = []
        switch encoding {
        case .sevenBit, .eightBit:
            let ranges = ends.indices.map { (($0 == 0 ? 0 : ends[$0 - 1])..<ends[$0]) }
            return (encoding, crlfLines(converted, ranges, finalBreak: hasFinalBreak))
        case .quotedPrintable:
            var start = 0
            for end in ends {
                QuotedPrintable.appendLine(converted[start..<end], to: &output)
                start = end
            }
        case .base64:
            var withBreaks: [UInt8] = []
            withBreaks.reserveCapacity(converted.count + ends.count * 2)
            var start = 0
            for (number, end) in ends.enumerated() {
                withBreaks.append(contentsOf: converted[start..<end])
                if number < ends.count - 1 || hasFinalBreak {
                    withBreaks.append(13)
                    withBreaks.append(10)
                }
                start = end
            }
            var encoder = Base64Lines()
            encoder.append(withBreaks, to: &output)
            encoder.finish(to: &output)
            return (encoding, output)
        }
        // The text's own last line break, if any, is kept; none is added (the CRLF before a
        // boundary belongs to the boundary, RFC 2046 §5.1.1).
        if !hasFinalBreak, output.count >= 2 { output.removeLast(2) }
        return (encoding, output)
    }

    /// The `lines` of `source`, each ended with CRLF but the last when the text had no final
    /// line break (the CRLF before a boundary belongs to the boundary, RFC 2046 §5.1.1).
    private static func crlfLines(_ source: [UInt8], _ lines: [Range<Int>], finalBreak: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(source.count + lines.count * 2)
        for line in lines {
            output.append(contentsOf: source[line])
            output.append(13)
            output.append(10)
        }
        if !finalBreak, output.count >= 2 { output.removeLast(2) }
        return output
    }
}
