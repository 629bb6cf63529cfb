/// TerminalText makes text that came from a peer or a user safe to print for a person.
///
/// A terminal obeys the bytes it is given: ESC starts a control sequence that can retitle the
/// window, clear the screen or move the cursor over what was printed; BEL, BS and CR overwrite
/// or hide; LF, U+2028 and U+2029 start a line that looks like one the program wrote (a forged
/// `status: sent`); bidirectional overrides make text read in another order than it is stored.
/// A server reply, a subject, a pattern, a file name or a certificate subject printed as is can
/// do all of that, so every CLI passes such text through `escaped` before printing it. The
/// escapes are visible and unambiguous enough for a person: `\r`, `\n`, `\t`, `\x1B`, `\u{202E}`.
public enum TerminalText {
    /// `text` with every character a terminal would act on written as an escape: C0 controls
    /// (U+0000–U+001F), DEL, C1 controls (U+0080–U+009F), the line and paragraph separators
    /// (U+2028, U+2029) and the bidirectional marks, embeddings, overrides and isolates
    /// (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
    /// - Parameter keepingLineBreaks: true keeps LF and TAB as they are, for text printed as
    ///   several lines (a template's body, a multi-line report); CR is still escaped.
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        // Most text is printable ASCII: one pass over the bytes, and nothing copied.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if keepingLineBreaks && (scalar == "\n" || scalar == "\t") {
                result.unicodeScalars.append(scalar)
            } else if let escape = escape(scalar) {
                result += escape
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// True when `scalar` is one `escaped` rewrites.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool { escape(scalar) != nil }

    private static func escape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x00..<0x20, 0x7F: return "\\x" + hex(scalar.value, digits: 2)
        case 0x80..<0xA0, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
            return "\\u{" + hex(scalar.value, digits: 4) + "}"
        default: return nil
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
