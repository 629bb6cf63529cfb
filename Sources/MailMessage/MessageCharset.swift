#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// MessageCharset is the charset a message's text (headers and bodies) is written in.
///
/// UTF-8 needs no conversion. The Japanese charsets are converted with the C library's iconv
/// (glibc supports all three); a character the charset cannot carry, such as `①` or `𠮷` in
/// ISO-2022-JP, is an error naming the field and the character, never a silent `?`.
public enum MessageCharset: String, Sendable, CaseIterable, Hashable {
    /// UTF-8 (RFC 3629).
    case utf8 = "UTF-8"
    /// ISO-2022-JP (RFC 1468): 7-bit JIS, Nablarch's default and the classic Japanese mail charset.
    case iso2022JP = "ISO-2022-JP"
    /// Shift_JIS (8-bit).
    case shiftJIS = "Shift_JIS"
    /// EUC-JP (8-bit).
    case eucJP = "EUC-JP"

    /// Looks a charset up by its MIME name, case-insensitively (`iso-2022-jp`, `utf8`, `sjis`…).
    public init?(name: String) {
        // The name the queue stores for almost every request, without lower-casing it.
        if name == "UTF-8" {
            self = .utf8
            return
        }
        switch name.lowercased().replacingUnderscores {
        case "utf-8", "utf8": self = .utf8
        case "iso-2022-jp", "iso2022jp", "jis": self = .iso2022JP
        case "shift-jis", "shiftjis", "sjis", "x-sjis": self = .shiftJIS
        case "euc-jp", "eucjp", "x-euc-jp": self = .eucJP
        default: return nil
        }
    }

    /// The name written in `charset=` parameters and encoded words.
    public var mimeName: String { rawValue }

    /// True when the encoded text is always 7-bit (ISO-2022-JP).
    var isSevenBit: Bool { self == .iso2022JP }

    var iconvName: String {
        switch self {
        case .utf8: return "UTF-8"
        case .iso2022JP: return "ISO-2022-JP"
        case .shiftJIS: return "SHIFT_JIS"
        case .eucJP: return "EUC-JP"
        }
    }

    /// Converts text to this charset. For ISO-2022-JP the result ends in ASCII mode.
    /// - Throws: `unrepresentableCharacter` naming `field` and the first character that cannot
    ///   be carried.
    public func encode(_ text: String, field: String) throws(MessageError) -> [UInt8] {
        if self == .utf8 { return Array(text.utf8) }
        let converter = try CharsetConverter(self, field: field)
        return try converter.convert(text, field: field)
    }
}

extension String {
    fileprivate var replacingUnderscores: String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}

/// CharsetConverter wraps one iconv descriptor from UTF-8 to a charset. Not thread-safe; make
/// one per message.
final class CharsetConverter {
    let charset: MessageCharset
    private let descriptor: iconv_t

    /// `given` when the caller already has a converter for the charset, else a new one.
    static func reusing(_ given: CharsetConverter?, _ charset: MessageCharset, field: String) throws(MessageError)
        -> CharsetConverter
    {
        if let given { return given }
        return try CharsetConverter(charset, field: field)
    }

    init(_ charset: MessageCharset, field: String) throws(MessageError) {
        self.charset = charset
        let descriptor = iconv_open(charset.iconvName, "UTF-8")
        if descriptor == iconv_t(bitPattern: -1) {
            throw MessageError(
                .unrepresentableCharacter, field: field,
                reason: "the C library's iconv does not support \(charset.mimeName)")
        }
        self.descriptor = descriptor!
    }

    deinit { iconv_close(descriptor) }

    /// Converts `text`, appending to `output`, and returns to the initial shift state (ASCII).
    func convert(_ text: String, field: String, into output: inout [UInt8]) throws(MessageError) {
        var input = Array(text.utf8)
        if input.isEmpty { return }
        let start = output.count
        var failure: Int? = nil
        var irreversible = false
        input.withUnsafeMutableBufferPointer { source in
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(source.baseAddress!)
                .assumingMemoryBound(to: CChar.self)
            var inLeft = source.count
            var chunk = [UInt8](repeating: 0, count: max(64, source.count * 2 + 16))
            iconv(descriptor, nil, nil, nil, nil)
            while true {
                let (result, produced, error): (Int, Int, Int32) = chunk.withUnsafeMutableBufferPointer { buffer in
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer.baseAddress!)
                        .assumingMemoryBound(to: CChar.self)
                    var outLeft = buffer.count
                    let result =
                        inLeft > 0
                        ? iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                        : iconv(descriptor, nil, nil, &outPointer, &outLeft)
                    return (result, buffer.count - outLeft, result == -1 ? errno : 0)
                }
                output.append(contentsOf: chunk[0..<produced])
                if result == -1 {
                    if error == E2BIG { continue }
                    failure = UnsafeRawPointer(inPointer!) - UnsafeRawPointer(source.baseAddress!)
                    return
                }
                if result > 0 { irreversible = true }
                if inLeft == 0 {
                    // Flush the shift state (ESC ( B for ISO-2022-JP).
                    let (flush, produced): (Int, Int) = chunk.withUnsafeMutableBufferPointer { buffer in
                        var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer.baseAddress!)
                            .assumingMemoryBound(to: CChar.self)
                        var outLeft = buffer.count
                        let flush = iconv(descriptor, nil, nil, &outPointer, &outLeft)
                        return (flush, buffer.count - outLeft)
                    }
                    output.append(contentsOf: chunk[0..<produced])
                    _ = flush
                    return
                }
            }
        }
        if let failure {
            output.removeSubrange(start...)
            throw unrepresentable(text, byteOffset: failure, field: field)
        }
        if irreversible {
            // iconv converted something only approximately: find the character and refuse it.
            var byteOffset = 0
            for scalar in text.unicodeScalars {
                var single: [UInt8] = []
                let piece = String(scalar)
                if (try? convertStrict(piece, into: &single)) != true {
                    output.removeSubrange(start...)
                    throw unrepresentable(text, byteOffset: byteOffset, field: field)
                }
                byteOffset += piece.utf8.count
            }
        }
    }

    /// Converts one piece and reports whether it converted exactly (no irreversible step).
    private func convertStrict(_ piece: String, into output: inout [UInt8]) throws -> Bool {
        var input = Array(piece.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        return input.withUnsafeMutableBufferPointer { source in
            out.withUnsafeMutableBufferPointer { buffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(source.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var inLeft = source.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = buffer.count
                iconv(descriptor, nil, nil, nil, nil)
                let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                iconv(descriptor, nil, nil, nil, nil)
                return result == 0
            }
        }
    }

    func convert(_ text: String, field: String) throws(MessageError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 2)
        try convert(text, field: field, into: &output)
        return output
    }

    private func unrepresentable(_ text: String, byteOffset: Int, field: String) -> MessageError {
        var offset = 0
        var index = 0
        for character in text {
            let length = character.utf8.count
            if byteOffset < offset + length {
                let scalars = character.unicodeScalars.map { String(format6: $0) }.joined(separator: " ")
                return MessageError(
                    .unrepresentableCharacter, field: field,
                    reason:
                        "\"\(character)\" (\(scalars)) at character \(index) cannot be written in \(charset.mimeName)")
            }
            offset += length
            index += 1
        }
        return MessageError(
            .unrepresentableCharacter, field: field,
            reason: "the text cannot be written in \(charset.mimeName) (iconv stopped at byte \(byteOffset))")
    }
}
