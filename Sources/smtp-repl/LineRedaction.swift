/// LineRedaction hides the secrets a REPL line may hold before the line is shown again (a
/// script's error message names the failing line) or kept (the interactive history file):
/// the values of `password=`, `token=` and `wallet_password=`, and what follows the mechanism
/// of an AUTH line sent with `command`. `${NAME}` references are left as written: the script
/// holds the name, not the secret.
enum LineRedaction {
    /// The parameters whose values are secrets.
    static let secretParameters: Set<String> = ["password", "token", "wallet_password"]

    /// `line` with every secret value replaced by `{secret}`.
    static func redacted(_ line: String) -> String {
        let characters = Array(line)
        var output = ""
        var index = 0
        var wordNumber = 0
        var command = ""
        var rawAuth = false
        while index < characters.count {
            // Spaces between words are copied as they are.
            if characters[index] == " " || characters[index] == "\t" {
                output.append(characters[index])
                index += 1
                continue
            }
            if characters[index] == "#" {
                output += String(characters[index...])
                break
            }
            let start = index
            var nameEnd = index
            while nameEnd < characters.count, characters[nameEnd].isLetter || characters[nameEnd].isNumber || characters[nameEnd] == "_" {
                nameEnd += 1
            }
            let end = wordEnd(characters, from: start)
            let word = String(characters[start..<end])
            if nameEnd > start, nameEnd < characters.count, characters[nameEnd] == "=",
               secretParameters.contains(String(characters[start..<nameEnd]).lowercased()),
               !isReference(characters[(nameEnd + 1)..<end])
            {
                output += String(characters[start...nameEnd]) + "{secret}"
            } else if rawAuth && wordNumber >= 3 {
                output += "{secret}"
            } else if wordNumber == 1, command == "command" || command == "command_replies" {
                // `command AUTH PLAIN …` as words, or `command "AUTH PLAIN …"` quoted.
                rawAuth = word.uppercased() == "AUTH"
                output += redactedAuth(word)
            } else {
                output += word
            }
            if wordNumber == 0 { command = word.lowercased() }
            wordNumber += 1
            index = end
        }
        return output
    }

    /// Where the word starting at `start` ends: at a space or tab outside quotes.
    private static func wordEnd(_ characters: [Character], from start: Int) -> Int {
        var index = start
        var quoted = false
        while index < characters.count {
            let character = characters[index]
            if !quoted && (character == " " || character == "\t") { break }
            if quoted && character == "\\" && index + 1 < characters.count {
                index += 2
                continue
            }
            if character == "\"" { quoted.toggle() }
            index += 1
        }
        return index
    }

    /// True when a value is only a `${NAME}` reference (no secret written in the line).
    private static func isReference(_ value: ArraySlice<Character>) -> Bool {
        let text = String(value)
        return text.hasPrefix("${") && text.hasSuffix("}") && !text.dropFirst(2).dropLast().contains("}")
    }

    /// For `command "AUTH PLAIN …"` (quoted): keeps AUTH and the mechanism, hides the rest.
    private static func redactedAuth(_ word: String) -> String {
        let unquoted = word.hasPrefix("\"") ? String(word.dropFirst()) : word
        let parts = unquoted.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        if parts.count == 3, parts[0].uppercased() == "AUTH" {
            return (word.hasPrefix("\"") ? "\"" : "") + "AUTH \(parts[1]) {secret}" + (word.hasSuffix("\"") && word.count > 1 ? "\"" : "")
        }
        return word
    }
}
