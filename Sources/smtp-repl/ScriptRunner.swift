import Foundation
import SMTPConversation

extension Session {
    /// Runs a script file (`run FILE`, `source FILE`); `-` reads standard input.
    func runFile(_ path: String) throws(ScriptError) {
        let text: String
        if path == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            do throws(CaptureFile.Failure) { text = try CaptureFile.text(of: path) } catch {
                throw ScriptError(exitCode: 2, message: error.description)
            }
        }
        let file = path == "-" ? "<stdin>" : path
        if sourceDepth == 0, PLSQLRun.isPLSQL(path: path, text: text) {
            let host = PLSQLSession(session: self, connectTo: connectTo, walletOverride: walletOverride?.path,
                                    walletPasswordOverride: walletOverride?.password)
            // &NAME comes from --var, then the environment (as ${NAME} does), so a password need not be on the command line.
            let variables = lexer.environment.merging(lexer.variables) { $1 }
            if checkOnly {
                let script = try PLSQLRun.parse(text, file: file, variables: variables)
                printer.info("\(file): PL/SQL, \(script.units.count) units, no errors (nothing was sent)")
                return
            }
            try PLSQLRun.run(text, file: file, host: host, variables: variables)
            return
        }
        if checkOnly {
            let lines = try Self.lines(of: text, file: file)
            try checkSyntax(lines)
            printer.info("\(file): \(lines.count) commands, no errors (nothing was sent)")
            return
        }
        try runScript(text, file: file)
    }

    /// Runs every line of a script; the first failure stops it with file, line, command and reason.
    func runScript(_ text: String, file: String) throws(ScriptError) {
        let lines = try Self.lines(of: text, file: file)
        try checkSyntax(lines)
        for line in lines {
            let answersChallenge = self.answersChallenge
            do throws(ScriptError) {
                try execute(line)
            } catch {
                let shown = Self.shown(line, answersChallenge: answersChallenge)
                throw ScriptError(exitCode: error.exitCode, message: "\(line.file):\(line.number): \(shown): \(error.message)")
            }
        }
    }

    /// A line as an error message shows it: secrets hidden (`LineRedaction`), at most 80 characters.
    static func shown(_ line: ScriptLine, answersChallenge: Bool = false) -> String {
        String(LineRedaction.redacted(line.text.trimmingCharacters(in: .whitespaces), answersChallenge: answersChallenge).prefix(80))
    }

    /// Checks every line before anything runs, so a syntax error or an unset `${NAME}` never
    /// leaves a half-done conversation.
    func checkSyntax(_ lines: [ScriptLine]) throws(ScriptError) {
        // Whether a line may answer a raw AUTH's challenge (it follows `command AUTH …` or
        // another such answer): its text is then not shown in a message.
        var mayAnswer = false
        for line in lines {
            let where_ = "\(line.file):\(line.number): \(Self.shown(line, answersChallenge: mayAnswer))"
            do throws(ScriptError) {
                for text in line.hereDocument ?? [] { _ = try lexer.expand(text) }
                if let (_, text) = TextCommand.split(line.text) {
                    _ = try lexer.expand(text)
                    continue
                }
                let tokens = try lexer.tokenize(line.text)
                guard let first = tokens.first else { continue }
                let raw = ["command", "command_replies"].contains(first.value.lowercased())
                mayAnswer = raw && (mayAnswer || (tokens.count > 1 && tokens[1].value.uppercased().hasPrefix("AUTH")))
                guard first.name == nil, Catalog.find(first.value) != nil else {
                    throw .usage(Catalog.unknown(first.name.map { $0 + "=" } ?? first.value))
                }
                // A misspelt parameter stops the script before anything is sent.
                _ = try Arguments(tokens: Array(tokens.dropFirst()), command: first.value.lowercased())
            } catch {
                throw ScriptError(exitCode: 2, message: "\(where_): \(error.message)")
            }
        }
    }

    /// Splits a script into lines, gathering `<<WORD` here-documents; comment and blank lines drop out.
    static func lines(of text: String, file: String) throws(ScriptError) -> [ScriptLine] {
        var result: [ScriptLine] = []
        let raw = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        var index = 0
        while index < raw.count {
            let text = raw[index]
            let number = index + 1
            index += 1
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var line = ScriptLine(file: file, number: number, text: text, hereDocument: nil)
            if let (command, delimiter) = TextCommand.hereDocument(text) {
                line.text = command
                var document: [String] = []
                var closed = false
                while index < raw.count {
                    let next = raw[index]
                    index += 1
                    if next == delimiter {
                        closed = true
                        break
                    }
                    document.append(next)
                }
                guard closed else {
                    throw ScriptError(exitCode: 2, message: "\(file):\(number): here-document <<\(delimiter) is not closed by a line \(delimiter)")
                }
                line.hereDocument = document
            }
            result.append(line)
        }
        return result
    }
}
