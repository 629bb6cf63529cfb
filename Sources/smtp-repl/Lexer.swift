/// Token is one word of a REPL line: a bare word, a "quoted string", or `name=value`.
struct Token: Equatable {
    var name: String?
    var value: String
    /// The name as written (`SIZE` in `SIZE=100`), for words that turn out to be text.
    var writtenName: String? = nil
    /// Where the word stands in the line (character offsets, `name=` included), as written.
    var span: Range<Int> = 0..<0
}

/// ScriptError is a problem with the script itself (exit code 2), or a failure while running
/// it with the exit code DESIGN.md gives it.
struct ScriptError: Error, CustomStringConvertible {
    var exitCode: Int32
    var message: String
    var description: String { message }

    static func usage(_ message: String) -> ScriptError { ScriptError(exitCode: 2, message: message) }
}

/// Lexer splits a REPL line into tokens: whitespace separates words; `"…"` quotes (with `\"`,
/// `\\`, `\n`, `\t`); `'…'` at the start of a word quotes as SQL does (`''` for a quote);
/// `name=value` or PL/SQL's `name => value` names a parameter (the value may be quoted); a comma
/// followed by a blank separates words as PL/SQL's argument lists do; `#` outside quotes starts a comment;
/// `${NAME}` expands from `--var`, then the environment.
struct Lexer {
    let variables: [String: String]
    let environment: [String: String]
    /// When false, an unset `${NAME}` expands to nothing (for checking syntax before running).
    var requireVariables = true

    func tokenize(_ line: String) throws(ScriptError) -> [Token] {
        var tokens: [Token] = []
        var characters = Array(line)
        var index = 0
        func isBlank(_ at: Int) -> Bool { at >= characters.count || characters[at] == " " || characters[at] == "\t" }
        // PL/SQL's argument separator: a comma followed by a blank (or the end) separates words,
        // so `open_connection 'smtp.example.com', 587` reads as two; `LOGIN,PLAIN` stays one word.
        func skipSpaces() {
            while index < characters.count, characters[index] == " " || characters[index] == "\t" || (characters[index] == "," && isBlank(index + 1)) {
                index += 1
            }
        }
        while true {
            skipSpaces()
            guard index < characters.count else { break }
            if characters[index] == "#" { break }
            var name: String?
            var writtenName: String?
            let wordStart = index
            var start = index
            while start < characters.count, characters[start].isLetter || characters[start] == "_" || characters[start].isNumber {
                start += 1
            }
            // PL/SQL's named notation: `name => value` (blanks around `=>` optional), as `name=value`.
            var arrow = start
            while arrow < characters.count, characters[arrow] == " " || characters[arrow] == "\t" { arrow += 1 }
            if start > index, arrow + 1 < characters.count, characters[arrow] == "=", characters[arrow + 1] == ">" {
                writtenName = String(characters[index..<start])
                name = writtenName?.lowercased()
                index = arrow + 2
                while index < characters.count, characters[index] == " " || characters[index] == "\t" { index += 1 }
            } else if start > index, start < characters.count, characters[start] == "=" {
                writtenName = String(characters[index..<start])
                name = writtenName?.lowercased()
                index = start + 1
            }
            let value = try word(&characters, &index)
            tokens.append(Token(name: name, value: value, writtenName: writtenName, span: wordStart..<index))
        }
        return tokens
    }

    /// Expands `${NAME}` in free text (here-documents), leaving everything else as is.
    func expand(_ text: String) throws(ScriptError) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else {
                throw .usage("unterminated ${ in \(text)")
            }
            let name = String(rest[start.upperBound..<close])
            guard let value = variables[name] ?? environment[name] else {
                throw .usage("${\(name)} is not set: give --var \(name)=VALUE or set it in the environment")
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    private func isBlank(_ characters: [Character], _ at: Int) -> Bool {
        at >= characters.count || characters[at] == " " || characters[at] == "\t"
    }

    private func word(_ characters: inout [Character], _ index: inout Int) throws(ScriptError) -> String {
        var value = ""
        var quoted = false
        if index < characters.count, characters[index] == "'" {
            return try singleQuoted(characters, &index)
        }
        while index < characters.count {
            let character = characters[index]
            if !quoted && (character == " " || character == "\t" || (character == "," && isBlank(characters, index + 1))) { break }
            if character == "\"" {
                quoted.toggle()
                index += 1
                continue
            }
            if quoted && character == "\\" && index + 1 < characters.count {
                let next = characters[index + 1]
                value.append(next == "n" ? "\n" : next == "t" ? "\t" : next == "r" ? "\r" : next)
                index += 2
                continue
            }
            if character == "$" && index + 1 < characters.count && characters[index + 1] == "{" {
                guard let close = characters[(index + 2)...].firstIndex(of: "}") else {
                    throw .usage("unterminated ${ in \(String(characters))")
                }
                let name = String(characters[(index + 2)..<close])
                guard let expansion = variables[name] ?? environment[name] ?? (requireVariables ? nil : "") else {
                    throw .usage("${\(name)} is not set: give --var \(name)=VALUE or set it in the environment")
                }
                value += expansion
                index = close + 1
                continue
            }
            value.append(character)
            index += 1
        }
        if quoted { throw .usage("unterminated quoted string") }
        return value
    }

    /// A word opened by `'`: SQL's quoting, as UTL_SMTP code writes strings (`'LOGIN XOAUTH2'`):
    /// everything up to the closing `'` as written, `''` for a quote; `${NAME}` still expands.
    /// A `'` inside a word (`o'brien@example.com`) is an ordinary character.
    private func singleQuoted(_ characters: [Character], _ index: inout Int) throws(ScriptError) -> String {
        var text = ""
        index += 1
        while true {
            guard index < characters.count else { throw .usage("unterminated quoted string") }
            if characters[index] == "'" {
                if index + 1 < characters.count, characters[index + 1] == "'" {
                    text.append("'")
                    index += 2
                    continue
                }
                index += 1
                break
            }
            text.append(characters[index])
            index += 1
        }
        guard isBlank(characters, index) || (characters[index] == "," && isBlank(characters, index + 1)) else {
            throw .usage("a quoted string must end its word: \(String(characters[index...]).prefix(20))")
        }
        return requireVariables ? try expand(text) : (try? expand(text)) ?? text
    }
}
