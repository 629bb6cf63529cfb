/// MessageID makes and checks RFC 5322 §3.6.4 message identifiers (`<left@right>`).
public enum MessageID {
    private static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    /// A new unique identifier: `<` 26 random base-36 characters `@domain>` (about 134 bits).
    public static func make(domain: String) -> String {
        "<\(randomBase36(26))@\(domain)>"
    }

    /// `count` uniformly random characters from `0-9a-z`, from the system's generator: one
    /// draw (one system call) gives 12 characters, not one.
    public static func randomBase36(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var characters: [UInt8] = []
        characters.reserveCapacity(count)
        while characters.count < count {
            var value = UInt64.random(in: 0..<4_738_381_338_321_616_896, using: &generator)  // 36^12
            for _ in 0..<min(12, count - characters.count) {
                characters.append(alphabet[Int(value % 36)])
                value /= 36
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// A stable identifier for something that may be sent more than once (a queue request):
    /// `<unique@domain>`, where `unique` is the caller's key (e.g. `req-42.20240102`).
    /// - Throws: `invalidHeader` naming `Message-ID` when `unique` or `domain` is not dot-atom text.
    public static func stable(unique: String, domain: String) throws(MessageError) -> String {
        let id = "<\(unique)@\(domain)>"
        try validate(id, field: "Message-ID")
        return id
    }

    /// Checks `<dot-atom-text@dot-atom-text>` (or a domain literal on the right).
    static func validate(_ id: String, field: String) throws(MessageError) {
        try HeaderSafety.check(id, field: field)
        func bad(_ reason: String) -> MessageError {
            MessageError(.invalidHeader, field: field, reason: "\"\(id.prefix(100))\" is not a message id: \(reason)")
        }
        guard id.utf8.count <= 250 else {
            throw MessageError(.tooLong, field: field, reason: "is \(id.utf8.count) octets; at most 250 are allowed")
        }
        let bytes = id.utf8
        guard bytes.count > 2, bytes.first == UInt8(ascii: "<"), bytes.last == UInt8(ascii: ">") else {
            throw bad("it must be written <left@right>")
        }
        let inner = bytes.dropFirst().dropLast()
        guard let at = inner.lastIndex(of: UInt8(ascii: "@")) else { throw bad("it has no @") }
        let left = inner[..<at]
        let right = inner[inner.index(after: at)...]
        func dotAtom(_ part: Substring.UTF8View) -> Bool { AddressSyntax.isASCIIDotAtom(part) }
        guard dotAtom(left) else {
            throw bad(
                "the part before @ must be dot-atom text (ASCII letters, digits, !#$%&'*+-/=?^_`{|}~ and single dots)")
        }
        guard dotAtom(right) || (right.first == UInt8(ascii: "[") && right.last == UInt8(ascii: "]")) else {
            throw bad("the part after @ must be a domain")
        }
    }
}
