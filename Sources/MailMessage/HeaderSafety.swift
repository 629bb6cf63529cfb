/// HeaderSafety refuses the characters that let a value escape its header line.
///
/// A CR or LF inside a header value ends the line and lets the rest be read as a new header
/// (`Bcc:` added by an attacker through a contact form's subject: header injection); a NUL
/// truncates the value in C-based MTAs. Nablarch checks only the subject and return path;
/// every value that reaches a header, the envelope or a MIME parameter is checked here.
enum HeaderSafety {
    /// Throws `headerInjection` naming the field, the character and its offset.
    static func check(_ value: String, field: String) throws(MessageError) {
        // Every header value of every message passes here: one pass over the UTF-8 bytes, and
        // the walk by scalars (for the offset the error names) only when a byte could start one
        // of the refused characters (U+0085 is C2 85, U+2028/2029 are E2 80 A8/A9).
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 || $0 == 0xC2 || $0 == 0xE2 }) else {
            return
        }
        var offset = 0
        for scalar in value.unicodeScalars {
            let name: String?
            switch scalar.value {
            case 0x0D: name = "CR"
            case 0x0A: name = "LF"
            case 0x00: name = "NUL"
            case 0x85, 0x2028, 0x2029: name = String(format6: scalar)
            default: name = nil
            }
            if let name {
                throw MessageError(
                    .headerInjection, field: field,
                    reason: "contains \(name) at character \(offset); line breaks and NUL are not allowed in a header")
            }
            offset += 1
        }
    }
}

extension String {
    /// `U+2028` style name of a scalar.
    init(format6 scalar: Unicode.Scalar) {
        self = unicodeName(scalar)
    }
}

private func unicodeName(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
