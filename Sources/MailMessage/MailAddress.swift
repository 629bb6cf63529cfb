/// MailAddress is a mailbox: an RFC 5321 address (`local@domain`) and an optional display name.
///
/// ```swift
/// let a = try MailAddress("山田 太郎 <taro@example.jp>")
/// let b = try MailAddress(address: "hanako@example.jp", displayName: "花子")
/// ```
///
/// The address must be a valid RFC 5321 `Mailbox`: a dot-string or quoted-string local part of at
/// most 64 octets, and a domain of LDH labels (or an address literal such as `[192.0.2.1]`) of at
/// most 255 octets. Non-ASCII in the address (RFC 6531) is allowed but makes the message need
/// SMTPUTF8 (`needsSMTPUTF8`). CR, LF and NUL are refused everywhere, display name included.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The addr-spec, e.g. `taro@example.jp`; what goes into `MAIL FROM`/`RCPT TO`.
    public let address: String
    /// The display name, e.g. `山田 太郎`; nil when there is none.
    public let displayName: String?

    /// Parses `addr@domain`, `<addr@domain>` or `Display Name <addr@domain>` (the name may be a
    /// quoted string).
    /// - Parameter field: the name errors give the value, e.g. `To[2]`.
    /// - Throws: `MessageError` (`headerInjection`, `invalidAddress` or `tooLong`) naming `field`.
    public init(_ text: String, field: String = "address") throws(MessageError) {
        try HeaderSafety.check(text, field: field)
        let trimmed = text.trimmingSpaces
        // The angle brackets are found among the UTF-8 bytes (ASCII, so each index is also a
        // character boundary): every address of every queued message is parsed here.
        let bytes = trimmed.utf8
        guard bytes.last == UInt8(ascii: ">"), let open = bytes.lastIndex(of: UInt8(ascii: "<")) else {
            try self.init(address: trimmed, displayName: nil, field: field)
            return
        }
        let spec = String(trimmed[bytes.index(after: open)..<bytes.index(before: bytes.endIndex)])
        var name = String(trimmed[..<open]).trimmingSpaces
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
            var unquoted = ""
            var escaped = false
            for character in name.dropFirst().dropLast() {
                if escaped {
                    unquoted.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    unquoted.append(character)
                }
            }
            name = unquoted
        }
        try self.init(address: spec, displayName: name.isEmpty ? nil : name, field: field)
    }

    /// Creates a mailbox from an addr-spec and a display name (any text; it is quoted or encoded
    /// when written).
    /// - Throws: `MessageError` naming `field` when either part is unusable.
    public init(address: String, displayName: String? = nil, field: String = "address") throws(MessageError) {
        try HeaderSafety.check(address, field: field)
        if let displayName { try HeaderSafety.check(displayName, field: field + ".displayName") }
        try AddressSyntax.validate(address, field: field)
        self.address = address
        self.displayName = displayName
    }

    /// True when the address itself has non-ASCII characters (RFC 6531): sending needs SMTPUTF8.
    public var needsSMTPUTF8: Bool { !address.utf8.allSatisfy { $0 < 0x80 } }

    /// `"Name" <address>` or `address`, for logs (not a header encoding).
    public var description: String {
        guard let displayName else { return address }
        return "\"\(displayName)\" <\(address)>"
    }
}

/// AddressSyntax checks an addr-spec against RFC 5321 §4.1.2 (with RFC 6531's UTF-8).
enum AddressSyntax {
    /// RFC 5322 atext (letters, digits and `!#$%&'*+-/=?^_`{|}~`), or a UTF-8 byte (RFC 6531).
    /// A switch, not a set lookup: every byte of every address and Message-ID passes here.
    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), 0x80...0xFF,
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
            UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
            UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// True when `part` is RFC 5322 dot-atom text of ASCII atext: atoms joined by single dots,
    /// none empty.
    static func isASCIIDotAtom<Bytes: Collection>(_ part: Bytes) -> Bool where Bytes.Element == UInt8 {
        var atomLength = 0
        for byte in part {
            if byte == UInt8(ascii: ".") {
                guard atomLength > 0 else { return false }
                atomLength = 0
            } else if byte < 0x80 && isAtext(byte) {
                atomLength += 1
            } else {
                return false
            }
        }
        return atomLength > 0
    }

    static func validate(_ address: String, field: String) throws(MessageError) {
        func bad(_ reason: String) -> MessageError {
            MessageError(.invalidAddress, field: field, reason: "\"\(address)\" is not a valid address: \(reason)")
        }
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty else { throw bad("it is empty") }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { throw bad("it has no @") }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty else { throw bad("the local part before @ is empty") }
        guard !domain.isEmpty else { throw bad("the domain after @ is empty") }
        if local.count > 64 {
            throw MessageError(
                .tooLong, field: field,
                reason:
                    "the local part of \"\(address.prefix(80))…\" is \(local.count) octets; at most 64 are allowed (RFC 5321 §4.5.3.1.1)"
            )
        }
        if domain.count > 255 {
            throw MessageError(
                .tooLong, field: field,
                reason:
                    "the domain of \"\(address.prefix(80))…\" is \(domain.count) octets; at most 255 are allowed (RFC 5321 §4.5.3.1.2)"
            )
        }
        if bytes.count > 254 {
            throw MessageError(
                .tooLong, field: field,
                reason:
                    "\"\(address.prefix(80))…\" is \(bytes.count) octets; at most 254 fit in a path (RFC 5321 §4.5.3.1.3)"
            )
        }
        if local.first == UInt8(ascii: "\"") {
            guard local.count >= 2, local.last == UInt8(ascii: "\"") else {
                throw bad("the quoted local part is not closed")
            }
            var escaped = false
            for byte in local.dropFirst().dropLast() {
                if escaped {
                    escaped = false
                    continue
                }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    continue
                }
                if byte == UInt8(ascii: "\"") { throw bad("a quote inside the quoted local part is not escaped") }
                if byte < 0x20 || byte == 0x7F { throw bad("the local part has a control character") }
            }
            if escaped { throw bad("the quoted local part ends with a backslash") }
        } else {
            for atom in local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                guard !atom.isEmpty else {
                    throw bad("the local part has an empty atom (leading, trailing or double dot)")
                }
                if let byte = atom.first(where: { !isAtext($0) }) {
                    throw bad("the local part has \(describe(byte)), which needs a quoted local part")
                }
            }
        }
        if domain.first == UInt8(ascii: "[") {
            guard domain.last == UInt8(ascii: "]") else { throw bad("the address literal is not closed with ]") }
            let literal = String(decoding: domain.dropFirst().dropLast(), as: UTF8.self)
            if literal.lowercased().hasPrefix("ipv6:") {
                guard literal.dropFirst(5).allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), literal.count > 5
                else {
                    throw bad("\"[\(literal)]\" is not an IPv6 address literal")
                }
            } else {
                let parts = literal.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 4,
                    parts.allSatisfy({ part in
                        !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                            && Int(part)! <= 255
                    })
                else { throw bad("\"[\(literal)]\" is not an IPv4 address literal") }
            }
            return
        }
        for label in domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw bad("the domain has an empty label (leading, trailing or double dot)") }
            guard label.count <= 63 else {
                throw MessageError(
                    .tooLong, field: field,
                    reason:
                        "a domain label of \"\(address.prefix(80))\" is \(label.count) octets; at most 63 are allowed")
            }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                throw bad("a domain label starts or ends with -")
            }
            for byte in label {
                let ok =
                    byte >= 0x80 || byte == UInt8(ascii: "-")
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                if !ok { throw bad("the domain has \(describe(byte))") }
            }
        }
    }

    static func describe(_ byte: UInt8) -> String {
        if byte < 0x20 || byte == 0x7F { return "control character 0x" + String(byte, radix: 16, uppercase: true) }
        if byte == 0x20 { return "a space" }
        return "\"\(Character(Unicode.Scalar(byte)))\""
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last])
    }
}
