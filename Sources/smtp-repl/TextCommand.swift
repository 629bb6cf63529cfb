/// TextCommand reads the lines whose rest is message text sent byte for byte: `write_data`
/// and `write_raw_data`. Everything after the command word and one space (or tab) is the text,
/// quotes, `#`, runs of spaces and tabs included; only `${NAME}` is expanded (as in a
/// here-document), and `write_raw_data` turns `\r`, `\n`, `\t` and `\\` into their bytes.
enum TextCommand {
    /// The commands whose rest of line is text.
    static let names: Set<String> = ["write_data", "write_raw_data"]

    /// The command (lowercased) and its text when `line` is a text command; nil otherwise.
    static func split(_ line: String) -> (command: String, text: String)? {
        let characters = Substring(line).drop { $0 == " " || $0 == "\t" }
        let word = characters.prefix { $0 != " " && $0 != "\t" }
        let command = word.lowercased()
        guard names.contains(command) else { return nil }
        let rest = characters[word.endIndex...]
        return (command, String(rest.isEmpty ? rest : rest.dropFirst()))
    }

    /// `write_raw_data`'s escapes, anywhere in the text: `\r` `\n` `\t` `\\`; any other
    /// backslash stays as written.
    static func rawBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        bytes.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "\\"), index + 1 < input.count {
                let escaped: UInt8? = switch input[index + 1] {
                case UInt8(ascii: "r"): 13
                case UInt8(ascii: "n"): 10
                case UInt8(ascii: "t"): 9
                case UInt8(ascii: "\\"): UInt8(ascii: "\\")
                default: nil
                }
                if let escaped {
                    bytes.append(escaped)
                    index += 2
                    continue
                }
            }
            bytes.append(byte)
            index += 1
        }
        return bytes
    }

    /// The text before `<<WORD` and WORD when a line opens a here-document; text commands
    /// never do (their `<<` is text).
    static func hereDocument(_ line: String) -> (text: String, delimiter: String)? {
        guard split(line) == nil, let range = line.range(of: "<<", options: .backwards) else { return nil }
        let delimiter = line[range.upperBound...]
        guard !delimiter.isEmpty, !delimiter.contains(" ") else { return nil }
        return (String(line[..<range.lowerBound]), String(delimiter))
    }
}
