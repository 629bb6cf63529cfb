import Foundation
import PLSQL
import SMTPConversation

/// PLSQLRun runs a PL/SQL file (`smtp-repl run FILE.sql`): parsed whole first (a syntax error
/// or an unset `&NAME`/`:NAME` stops it before anything is sent), then each unit in order.
enum PLSQLRun {
    /// True for a file to run as PL/SQL: `.sql`, `.pls`, `.plb`, `.prc`, `.pkb`, or content that reads as PL/SQL.
    static func isPLSQL(path: String, text: String) -> Bool {
        let lowered = path.lowercased()
        if [".sql", ".pls", ".plb", ".prc", ".pkb", ".fnc"].contains(where: lowered.hasSuffix) { return true }
        return SQLPlusScript.looksLikePLSQL(text)
    }

    /// Runs `text`; throws the script's exit code and message (1 for an unhandled exception,
    /// 2 for input that was not understood).
    static func run(_ text: String, file: String, host: PLSQLSession, variables: [String: String]) throws(ScriptError) {
        let script = try parse(text, file: file, variables: variables)
        let binds = variables.reduce(into: [String: String]()) { $0[$1.key.uppercased()] = $1.value }
        let interpreter = Interpreter(host: host, binds: binds)
        defer { host.closeAll() }
        for unit in script.units {
            if case .exit = unit { break }
            do throws(OracleException) {
                try interpreter.run(unit)
            } catch {
                interpreter.flushOutput()
                throw ScriptError(exitCode: 1, message: report(error, file: file, lastReply: interpreter.lastFailure))
            }
        }
    }

    /// The whole file read and checked: a syntax error, an unset `&NAME` or `:NAME` is exit 2
    /// naming the file and line.
    static func parse(_ text: String, file: String, variables: [String: String]) throws(ScriptError) -> SQLPlusScript {
        let script: SQLPlusScript
        do throws(PLSQLSyntaxError) {
            script = try SQLPlusScript(text, defines: variables)
        } catch {
            throw ScriptError(exitCode: 2, message: "\(file):\(error.line): \(error.message)")
        }
        let binds = Set(variables.keys.map { $0.uppercased() })
        if let (name, line) = script.binds.filter({ !binds.contains($0.key) }).min(by: { $0.value < $1.value }) {
            throw ScriptError(exitCode: 2, message: "\(file):\(line): bind variable :\(name) is not set: give --var \(name)=VALUE")
        }
        return script
    }

    /// Oracle's report of an unhandled exception, then what the project knows: the failure
    /// underneath, and the last reply with its explanation.
    static func report(_ error: OracleException, file: String, lastReply: Reply?) -> String {
        var lines = ["\(file): unhandled exception"] + error.report
        if let detail = error.detail { lines.append("(\(detail))") }
        if let reply = error.reply ?? lastReply, reply.isFailure {
            lines.append("last reply: \(reply.singleLine)")
            // The project's explanation, as the console gives it under a refusal.
            if let explanation = reply.explanation() {
                lines.append("    \(reply.enhancedStatusCode.map { "\($0)" } ?? "\(reply.code)") (\(explanation.vendor)): \(explanation)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
