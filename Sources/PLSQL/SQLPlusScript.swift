import Foundation

/// SQLPlusScript reads a file as SQL*Plus does: PL/SQL units ended by a `/` line, `EXEC`,
/// settings (`SET SERVEROUTPUT ON`, accepted and ignored), `PROMPT`, `DEFINE`, SQL statements
/// (skipped with a note), and `&NAME` substitution from `--var` and `DEFINE`.
public struct SQLPlusScript {
    /// The units in file order.
    public var units: [Unit] = []
    /// The `:NAME` bind variables the units use, with the first line each is used on.
    public var binds: [String: Int] = [:]

    /// True when `text` reads as PL/SQL or SQL*Plus rather than REPL commands: its first
    /// statement is `DECLARE`, `BEGIN`, `CREATE [OR REPLACE] PROCEDURE|FUNCTION`, `SET
    /// SERVEROUTPUT`, `EXEC` or a `--` comment.
    public static func looksLikePLSQL(_ text: String) -> Bool {
        var inComment = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            if inComment {
                if line.contains("*/") { inComment = false }
                continue
            }
            if line.isEmpty || line.hasPrefix("--") || line.hasPrefix("REM ") { continue }
            if line.hasPrefix("/*") {
                inComment = !line.contains("*/")
                continue
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == ";" }).map(String.init)
            guard let first = words.first else { continue }
            if ["DECLARE", "BEGIN", "EXEC", "EXECUTE", "SET", "PROMPT", "WHENEVER", "SPOOL", "DEFINE", "VARIABLE"].contains(first) { return true }
            if first == "CREATE" { return words.contains("PROCEDURE") || words.contains("FUNCTION") }
            return first.hasPrefix("<<")
        }
        return false
    }

    /// Reads `text` (from `file`), substituting `&NAME` from `defines`.
    public init(_ text: String, defines: [String: String]) throws(PLSQLSyntaxError) {
        var defines = defines.reduce(into: [String: String]()) { $0[$1.key.uppercased()] = $1.value }
        var substitute = true
        // Lines split on bytes (a grapheme-aware split of a large file costs more than its parse).
        let lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
        }
        var index = 0
        func substituted(_ line: String, _ number: Int) throws(PLSQLSyntaxError) -> String {
            guard substitute, line.utf8.contains(UInt8(ascii: "&")) else { return line }
            return try Self.substitute(line, defines, line: number)
        }
        while index < lines.count {
            let number = index + 1
            let raw = lines[index]
            index += 1
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            let upper = trimmed.uppercased()
            if trimmed.isEmpty || trimmed == "/" || trimmed == "." || upper.hasPrefix("--") || upper == "REM" || upper.hasPrefix("REM ") || upper.hasPrefix("REMARK") { continue }
            if trimmed.hasPrefix("/*") {
                var closing = raw
                var cursor = index
                while !closing.contains("*/") {
                    guard cursor < lines.count else { throw PLSQLSyntaxError(line: number, "comment /* is not closed by */") }
                    closing = lines[cursor]
                    cursor += 1
                }
                index = cursor
                continue
            }
            let words = upper.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let first = words[0].hasSuffix(";") ? String(words[0].dropLast()) : words[0]
            switch first {
            case "SET":
                if words.count > 1, words[1].hasPrefix("DEF") {
                    substitute = !(words.count > 2 && words[2].hasPrefix("OFF"))
                }
                continue
            case "SHOW", "SHO", "SPOOL", "SPO", "WHENEVER", "COLUMN", "COL", "TTITLE", "BTITLE", "CLEAR", "CL", "BREAK", "COMPUTE", "TIMING",
                "PAUSE", "ACCEPT", "ACC", "PRINT", "PRI", "DESCRIBE", "DESC", "SAVE", "STORE", "ARCHIVE", "ATTRIBUTE", "REPHEADER", "REPFOOTER":
                continue
            case "DEFINE", "DEF":
                let rest = trimmed.dropFirst(words[0].count).trimmingCharacters(in: .whitespaces)
                if let equals = rest.firstIndex(of: "=") {
                    let name = rest[..<equals].trimmingCharacters(in: .whitespaces).uppercased()
                    var value = rest[rest.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                    if value.count >= 2, let quote = value.first, quote == "'" || quote == "\"", value.last == quote { value = String(value.dropFirst().dropLast()) }
                    if defines[name] == nil { defines[name] = value }
                }
                continue
            case "UNDEFINE", "UNDEF":
                continue
            case "VARIABLE", "VAR":
                continue
            case "PROMPT", "PRO":
                let rest = trimmed.dropFirst(words[0].count).trimmingCharacters(in: .whitespaces)
                units.append(.prompt(try substituted(rest, number), line: number))
                continue
            case "EXIT", "QUIT":
                units.append(.exit(line: number))
                return
            case "CONNECT", "CONN", "DISCONNECT", "DISC", "HOST", "START", "STA", "EDIT", "ED", "RUN", "R", "GET", "PASSWORD", "STARTUP", "SHUTDOWN", "RECOVER", "COPY":
                units.append(.skipped("\(number): \(first) skipped: a SQL*Plus command smtp-repl does not run", line: number))
                continue
            case "EXEC", "EXECUTE":
                var statement = trimmed.dropFirst(words[0].count).trimmingCharacters(in: .whitespaces)
                while statement.hasSuffix("-"), index < lines.count {
                    statement = String(statement.dropLast()) + " " + lines[index]
                    index += 1
                }
                if !statement.hasSuffix(";") { statement += ";" }
                let source = "BEGIN " + (try substituted(statement, number)) + " END;"
                try append(source, line: number)
                continue
            default: break
            }
            if first.hasPrefix("@") {
                units.append(.skipped("\(number): \(first) skipped: smtp-repl runs one file; run the other one with its own smtp-repl run", line: number))
                continue
            }
            let isPLSQL = first == "DECLARE" || first == "BEGIN" || first.hasPrefix("<<")
                || (first == "CREATE" && (words.contains("PROCEDURE") || words.contains("FUNCTION") || words.contains("PACKAGE") || words.contains("TRIGGER") || (words.contains("TYPE") && !words.contains("TABLE"))))
            if isPLSQL {
                // A PL/SQL unit runs to a line holding only /.
                var body = [try substituted(raw, number)]
                while index < lines.count {
                    let next = lines[index]
                    index += 1
                    if next.trimmingCharacters(in: .whitespaces) == "/" { break }
                    body.append(try substituted(next, index))
                }
                try append(body.joined(separator: "\n"), line: number)
                continue
            }
            // SQL: to a line ending with ; or a / line.
            var statementEnd = trimmed.hasSuffix(";")
            while !statementEnd, index < lines.count {
                let next = lines[index].trimmingCharacters(in: .whitespaces)
                index += 1
                if next == "/" { break }
                statementEnd = next.hasSuffix(";")
            }
            let shown = trimmed.count > 60 ? String(trimmed.prefix(57)) + "…" : trimmed
            units.append(.skipped("\(number): SQL statement skipped (\(shown)): smtp-repl runs PL/SQL blocks, there is no database", line: number))
        }
    }

    private mutating func append(_ source: String, line: Int) throws(PLSQLSyntaxError) {
        let tokens = try Scanner.tokens(source, firstLine: line)
        for token in tokens { if case .bind(let name) = token.kind, binds[name] == nil { binds[name] = token.line } }
        var parser = Parser(tokens: tokens)
        units.append(try parser.unit())
    }

    /// `&NAME`, `&&NAME` and `&NAME.` replaced by their values.
    static func substitute(_ line: String, _ defines: [String: String], line number: Int) throws(PLSQLSyntaxError) -> String {
        var output = ""
        var characters = Substring(line)
        while let ampersand = characters.firstIndex(of: "&") {
            output += characters[..<ampersand]
            var rest = characters[characters.index(after: ampersand)...]
            if rest.first == "&" { rest = rest.dropFirst() }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" || $0 == "#" }
            guard !name.isEmpty else {
                output += "&"
                characters = characters[characters.index(after: ampersand)...]
                continue
            }
            guard let value = defines[name.uppercased()] else {
                throw PLSQLSyntaxError(line: number, "substitution variable &\(name) is not set: give --var \(name)=VALUE (or SET DEFINE OFF when & is text)")
            }
            output += value
            rest = rest[name.endIndex...]
            if rest.first == "." { rest = rest.dropFirst() }
            characters = rest
        }
        return output + characters
    }
}
