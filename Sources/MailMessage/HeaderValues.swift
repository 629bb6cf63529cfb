/// HeaderValues turns values into the tokens `HeaderFolding` packs: unstructured text, address
/// lists with display names, and MIME parameters (RFC 2231 for non-ASCII or long values).
struct HeaderValues {
    let charset: MessageCharset
    let converter: CharsetConverter?
    let allowSMTPUTF8: Bool

    /// True when `text` has `=?`, which a decoder could take for the start of an encoded word.
    static func containsEncodedWordStart(_ text: String) -> Bool {
        var afterEquals = false
        for byte in text.utf8 {
            if afterEquals && byte == UInt8(ascii: "?") { return true }
            afterEquals = byte == UInt8(ascii: "=")
        }
        return false
    }

    /// Unstructured text (Subject, extra headers): words as they are when the value is printable
    /// ASCII with words short enough, RFC 2047 encoded words otherwise (also when the text
    /// contains `=?`, which a reader would otherwise decode).
    /// - Parameter headerName: the field name, whose length the first line already uses.
    func unstructured(_ value: String, field: String, headerName: String) throws(MessageError) -> [[UInt8]] {
        try HeaderSafety.check(value, field: field)
        let printable = value.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }
        if printable && !Self.containsEncodedWordStart(value) {
            let tokens = value.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map { Array($0) }
            if tokens.allSatisfy({ $0.count <= 900 }) { return tokens }
        }
        return try EncodedWords.encode(
            value, charset: charset, converter: converter, field: field,
            firstLineUsed: headerName.utf8.count + 2)
    }

    /// A display name as a phrase: atoms, a quoted string, or encoded words.
    func phrase(_ name: String, field: String, lineUsed: Int) throws(MessageError) -> [[UInt8]] {
        try HeaderSafety.check(name, field: field)
        let ascii = name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        if ascii && name.utf8.count <= 70 && !Self.containsEncodedWordStart(name) {
            let words = name.split(separator: " ", omittingEmptySubsequences: false)
            if words.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(AddressSyntax.isAtext) }) {
                return words.map { Array($0.utf8) }
            }
            var quoted: [UInt8] = [UInt8(ascii: "\"")]
            for byte in name.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
                quoted.append(byte)
            }
            quoted.append(UInt8(ascii: "\""))
            return [quoted]
        }
        return try EncodedWords.encode(
            name, charset: charset, converter: converter, field: field, firstLineUsed: lineUsed)
    }

    /// `Name <addr>, addr, …`; a non-ASCII address needs `allowSMTPUTF8`.
    func addresses(_ list: [MailAddress], field: String, indexed: Bool = true) throws(MessageError) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for (index, mailbox) in list.enumerated() {
            let name = indexed ? "\(field)[\(index)]" : field
            if mailbox.needsSMTPUTF8 && !allowSMTPUTF8 {
                throw MessageError(
                    .smtpUTF8Required, field: name,
                    reason: "\"\(mailbox.address)\" is not ASCII; it can only be sent to a server that offers SMTPUTF8")
            }
            if let display = mailbox.displayName, !display.isEmpty {
                tokens += try phrase(
                    display, field: name + ".displayName", lineUsed: index == 0 ? field.utf8.count + 2 : 0)
                tokens.append(Array("<\(mailbox.address)>".utf8))
            } else {
                tokens.append(Array(mailbox.address.utf8))
            }
            if index < list.count - 1 { tokens[tokens.count - 1].append(UInt8(ascii: ",")) }
        }
        return tokens
    }

    /// `type/subtype` followed by `; name=value` parameters, checked for header safety.
    static func contentType(_ value: String, field: String) throws(MessageError) -> [[UInt8]] {
        try HeaderSafety.check(value, field: field)
        let pieces = value.split(separator: ";", omittingEmptySubsequences: true).map { String($0).trimmingSpaces }
        guard let main = pieces.first else {
            throw MessageError(
                .invalidHeader, field: field, reason: "is empty; a content type such as application/pdf is needed")
        }
        let halves = main.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, halves.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isTokenByte) }) else {
            throw MessageError(
                .invalidHeader, field: field, reason: "\"\(main.prefix(100))\" is not a type/subtype content type")
        }
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw MessageError(.invalidHeader, field: field, reason: "must be ASCII")
        }
        var tokens = [Array(main.lowercased().utf8)]
        for parameter in pieces.dropFirst() {
            guard let equals = parameter.firstIndex(of: "="),
                parameter[..<equals].utf8.allSatisfy(isTokenByte), equals != parameter.startIndex
            else {
                throw MessageError(
                    .invalidHeader, field: field, reason: "\"\(parameter.prefix(100))\" is not a name=value parameter")
            }
            tokens[tokens.count - 1].append(UInt8(ascii: ";"))
            tokens.append(Array(parameter.utf8))
        }
        return tokens
    }

    /// One MIME parameter: `name=value`, `name="value"`, or RFC 2231 `name*=UTF-8''…` (split into
    /// `name*0*=…; name*1*=…` when long) for non-ASCII or long values.
    static func parameter(_ name: String, _ value: String, field: String) throws(MessageError) -> [[UInt8]] {
        try HeaderSafety.check(value, field: field)
        let printable = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        if printable && value.utf8.count <= 60 {
            if !value.isEmpty && value.utf8.allSatisfy(isTokenByte) { return [Array("\(name)=\(value)".utf8)] }
            var quoted = Array("\(name)=\"".utf8)
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
                quoted.append(byte)
            }
            quoted.append(UInt8(ascii: "\""))
            return [quoted]
        }
        // RFC 2231 extended value, percent-encoded UTF-8, in segments that never split a %XX.
        let hex = Array("0123456789ABCDEF".utf8)
        var segments: [[UInt8]] = [[]]
        for byte in value.utf8 {
            var piece: [UInt8]
            if isAttributeByte(byte) {
                piece = [byte]
            } else {
                piece = [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
            if segments[segments.count - 1].count + piece.count > 54 { segments.append([]) }
            segments[segments.count - 1] += piece
        }
        if segments.count == 1 { return [Array("\(name)*=UTF-8''".utf8) + segments[0]] }
        var tokens: [[UInt8]] = []
        for (index, segment) in segments.enumerated() {
            var token = Array("\(name)*\(index)*=".utf8)
            if index == 0 { token += Array("UTF-8''".utf8) }
            token += segment
            if index < segments.count - 1 { token.append(UInt8(ascii: ";")) }
            tokens.append(token)
        }
        return tokens
    }

    /// RFC 2045 token characters: printable ASCII except space and tspecials.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && !"()<>@,;:\\\"/[]?=".utf8.contains(byte)
    }

    /// RFC 2231 attribute-char: token characters except `*`, `'` and `%`.
    static func isAttributeByte(_ byte: UInt8) -> Bool {
        isTokenByte(byte) && byte != UInt8(ascii: "*") && byte != UInt8(ascii: "'") && byte != UInt8(ascii: "%")
    }
}
