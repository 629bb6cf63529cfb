import ArgumentParser
import Foundation
import SMTPConversation

/// smtp-repl: talk SMTP one UTL_SMTP call at a time, script it, serve and replay transcripts.
struct SMTPRepl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-repl",
        abstract: "Interactive and scriptable SMTP conversations (UTL_SMTP's calls), transcripts served and replayed.",
        discussion: """
            With no subcommand: the interactive REPL (reads commands from standard input when it is \
            not a terminal, like `run -`). Try `smtp-repl demo` first.
            Exit codes: 0 all held; 1 an SMTP error or a failed expectation; 2 usage or script \
            syntax; 3 network, TLS or timeout failure.
            Limits on what a server sends: a reply has at most 512 lines, 64 KiB and 2048 octets a \
            line (more is a malformed reply, exit 3); tx_timeout= covers a whole reply, however \
            slowly it drips.
            """,
        subcommands: [Interactive.self, Run.self, Serve.self, Replay.self, Convert.self, Demo.self, Explain.self],
        defaultSubcommand: Interactive.self)
}

/// Options every mode shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("var"), help: ArgumentHelp("Set ${NAME} for the script (NAME=VALUE, repeatable).", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Option(help: ArgumentHelp("Write the session as a transcript (credentials redacted, mode 0600).", valueName: "FILE"))
    var record: String?

    @Flag(help: "No colours (also when NO_COLOR is set or the output is not a terminal).")
    var noColor = false

    func parsedVariables() throws -> [String: String] {
        var result: [String: String] = [:]
        for item in variables {
            guard let equals = item.firstIndex(of: "="), equals > item.startIndex else {
                throw ValidationError("--var takes NAME=VALUE, not \(item)")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }

    func printer() -> Printer { Printer(color: !noColor && Printer.wantsColor()) }

    /// Saves the session to --record when asked.
    func finish(_ session: Session) {
        guard let record else { return }
        do { try session.save(session.recorder.transcript, to: record) } catch {
            session.printer.error(error.message)
        }
    }
}

/// Exits with the script's code after printing its message.
func fail(_ error: ScriptError, printer: Printer) -> Never {
    printer.error(error.message)
    Foundation.exit(error.exitCode)
}

// A usage error exits 2, as the help says (ArgumentParser's own code for it is 64).
let arguments = Array(CommandLine.arguments.dropFirst())
if let message = Usage.unknownSubcommand(in: arguments) { Usage.exit(message) }
var command: ParsableCommand
do {
    command = try SMTPRepl.parseAsRoot(arguments)
} catch {
    if SMTPRepl.exitCode(for: error) == .validationFailure { Usage.exit(SMTPRepl.fullMessage(for: error)) }
    SMTPRepl.exit(withError: error)
}
do {
    try command.run()
} catch let error as ValidationError {
    // Found while running (a file named by an option, a password variable): that subcommand's usage.
    Usage.exit(Usage.message(for: error, in: type(of: command)))
} catch {
    SMTPRepl.exit(withError: error)
}
