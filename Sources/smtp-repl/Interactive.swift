import ArgumentParser
import Foundation
import SMTPConversation

/// The interactive REPL (the default subcommand).
struct Interactive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl", abstract: "The interactive REPL (default): readline, history, completion, a prompt showing the state.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let printer = common.printer()
        guard isatty(0) == 1 else {
            // Not a terminal: behave like `run -`.
            let session = Session(printer: printer, variables: try common.parsedVariables(), interactive: false)
            defer { common.finish(session) }
            do { try session.runFile("-") } catch { common.finish(session); fail(error, printer: printer) }
            return
        }
        let session = Session(printer: printer, variables: try common.parsedVariables(), interactive: true)
        let editor = LineEditor()
        session.readDataLine = { (prompt) throws(ScriptError) -> String? in
            let line = editor.readLine(prompt: prompt, remember: false)
            if editor.lineWasInterrupted { throw ScriptError(exitCode: 1, message: Self.discarded) }
            return line
        }
        session.readSecret = { prompt in readSecret(prompt: prompt) }
        printer.info("smtp-repl: UTL_SMTP's calls as commands. help lists them, Tab completes, Ctrl-C discards the line, Ctrl-D leaves.")
        var number = 0
        while true {
            let prompt = session.prompt
            let answering = session.answersChallenge
            guard let text = editor.readLine(prompt: prompt, answersChallenge: answering) else { break }
            if editor.lineWasInterrupted { continue }
            if answering { editor.retype(prompt: prompt, typed: text, shown: LineRedaction.redacted(text, answersChallenge: true)) }
            number += 1
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed == "exit" || trimmed == "quit!" { break }
            var line = ScriptLine(file: "<repl>", number: number, text: text, hereDocument: nil)
            if let (command, delimiter) = TextCommand.hereDocument(text) {
                line.text = command
                // Refused now rather than after the message is typed; its lines are still read
                // (a pasted message must not run as commands) and dropped.
                let refusal = session.refusalBeforeMessage(command)
                if let refusal { printer.error(refusal.message + " (the lines up to \(delimiter) are read and dropped)") }
                var document: [String] = []
                while let next = editor.readLine(prompt: "data> ", remember: false), next != delimiter, !editor.lineWasInterrupted {
                    document.append(next)
                }
                if editor.lineWasInterrupted {
                    printer.error(Self.discarded)
                    continue
                }
                if refusal != nil { continue }
                line.hereDocument = document
            }
            do { try session.execute(line) } catch { printer.error(error.message) }
        }
        session.connection?.closeConnection()
        common.finish(session)
    }

    /// What Ctrl-C at a `data>` prompt says: the message typed so far is dropped.
    static let discarded = "data: message discarded (Ctrl-C); nothing was sent"
}

/// `run FILE`: the REPL language, or PL/SQL, from a file or standard input.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a script of REPL commands, or UTL_SMTP PL/SQL as written (FILE.sql, or a file that reads as PL/SQL).",
        discussion: """
            A REPL script stops at the first unhandled 4xx/5xx or failed expect. PL/SQL (anonymous \
            blocks, CREATE OR REPLACE PROCEDURE|FUNCTION, SQL*Plus's / and EXEC) runs with Oracle's \
            semantics: an unhandled exception is reported as Oracle does (ORA-nnnnn, ORA-06512: at \
            line N) and exits 1; &NAME and :NAME come from --var.
            """)

    @Argument(help: "The script, or - for standard input.")
    var file: String

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Trust these CA certificates (PEM file or directory) unless a command says otherwise.", valueName: "PEM"))
    var trust: String?

    @Option(name: .customLong("connect-to"), help: ArgumentHelp(
        "Send a connection the script opens to HOST:PORT to HOST2:PORT2 instead; TLS still verifies HOST (repeatable).",
        valueName: "HOST:PORT=HOST2:PORT2"))
    var connectTo: [String] = []

    @Option(help: ArgumentHelp("Use this wallet instead of the one the script names (file:DIR).", valueName: "file:DIR"))
    var wallet: String?

    @Option(name: .customLong("wallet-password-env"), help: ArgumentHelp(
        "Read the wallet password from this environment variable instead of the script's.", valueName: "NAME"))
    var walletPasswordEnv: String?

    @Flag(help: "Read and check the whole file (syntax, every ${NAME}, &NAME and :NAME), send nothing; exit 0 or 2.")
    var check = false

    func run() throws {
        let printer = common.printer()
        let session = Session(printer: printer, variables: try common.parsedVariables(), interactive: false)
        session.checkOnly = check
        if let trust { session.defaultTrust = FileManager.default.isDirectory(trust) ? .pemDirectory(trust) : .pemFile(trust) }
        do throws(ScriptError) {
            session.connectTo = try connectTo.map { (text) throws(ScriptError) -> ConnectTo in try ConnectTo(parsing: text) }
            if let walletPasswordEnv {
                guard let value = ProcessInfo.processInfo.environment[walletPasswordEnv] else {
                    throw ScriptError.usage("--wallet-password-env \(walletPasswordEnv): the variable is not set")
                }
                session.walletOverride = (wallet, value)
            } else if let wallet {
                session.walletOverride = (wallet, nil)
            }
            try session.runFile(file)
        } catch {
            session.connection?.closeConnection()
            common.finish(session)
            fail(error, printer: printer)
        }
        session.connection?.closeConnection()
        common.finish(session)
    }
}

extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }
}
