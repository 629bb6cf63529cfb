/// HeaderFolding writes one header field as folded lines of at most 78 characters where the
/// content allows it, and never more than 998 octets (RFC 5322 §2.1.1, §2.2.3).
///
/// A field is built from tokens that must not be split (words, encoded words, `<addr>`); folding
/// happens only between tokens, by putting CRLF before the space that separated them, so
/// unfolding (removing CRLF) gives the value back unchanged.
enum HeaderFolding {
    static let softLimit = 78
    static let hardLimit = 998

    /// `Name: t1 t2 …` folded; tokens are joined by one space. Empty tokens are kept (they stand
    /// for runs of spaces) but a line is never folded before one.
    static func fold(name: String, tokens: [[UInt8]], into output: inout [UInt8]) -> Bool {
        let start = output.count
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ":"))
        var lineStart = start
        var lineHasContent = false
        for token in tokens {
            let lineLength = output.count - lineStart
            if lineHasContent, !token.isEmpty, lineLength + 1 + token.count > softLimit {
                output.append(13)
                output.append(10)
                lineStart = output.count
            }
            output.append(UInt8(ascii: " "))
            output.append(contentsOf: token)
            if !token.isEmpty { lineHasContent = true }
            if output.count - lineStart > hardLimit { return false }
        }
        output.append(13)
        output.append(10)
        return true
    }
}

/// EncodedWords writes text as RFC 2047 `=?charset?B?…?=` words of at most 75 characters each,
/// every word decodable on its own (no character split between words; ISO-2022-JP words start
/// and end in ASCII).
enum EncodedWords {
    /// - Parameter firstLineUsed: characters already on the first word's line (`Subject: `), so
    ///   that the first word also fits in 78 characters.
    static func encode(
        _ text: String, charset: MessageCharset, converter: CharsetConverter?, field: String,
        firstLineUsed: Int = 0
    ) throws(MessageError) -> [[UInt8]] {
        let prefix = Array("=?\(charset.mimeName)?B?".utf8)
        let suffix = Array("?=".utf8)
        let fullRoom = (75 - prefix.count - suffix.count) / 4 * 3  // raw octets per word
        let firstRoom = max(3, (min(75, 77 - firstLineUsed) - prefix.count - suffix.count) / 4 * 3)
        var room = firstLineUsed > 0 ? firstRoom : fullRoom
        var words: [[UInt8]] = []
        func emit(_ bytes: [UInt8]) {
            var word = prefix
            Base64Lines.appendPlain(bytes, to: &word)
            word += suffix
            words.append(word)
            room = fullRoom
        }
        if charset == .utf8 {
            var pending: [UInt8] = []
            for scalar in text.unicodeScalars {
                let bytes = Array(String(scalar).utf8)
                if pending.count + bytes.count > room {
                    emit(pending)
                    pending = []
                }
                pending += bytes
            }
            if !pending.isEmpty { emit(pending) }
            return words
        }
        let converter = try CharsetConverter.reusing(converter, charset, field: field)
        _ = try converter.convert(text, field: field)  // names the first bad character of the whole value
        var pendingText = ""
        var pendingBytes: [UInt8] = []
        for character in text {
            let candidate = pendingText + String(character)
            let bytes = try converter.convert(candidate, field: field)
            if bytes.count > room, !pendingText.isEmpty {
                emit(pendingBytes)
                pendingText = String(character)
                pendingBytes = try converter.convert(pendingText, field: field)
            } else {
                pendingText = candidate
                pendingBytes = bytes
            }
        }
        if !pendingText.isEmpty { emit(pendingBytes) }
        return words
    }
}
