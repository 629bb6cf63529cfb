import ArgumentParser
import Foundation
import SMTPConversation

/// Usage reports the command-line mistakes ArgumentParser cannot word well for smtp-repl.
///
/// A first word that is no subcommand (the default subcommand would call it an unexpected
/// argument of `repl`), and a bad value found while a subcommand runs (its own usage, not the
/// root's). Both exit 2, the code smtp-repl documents for usage errors.
enum Usage {
    /// The subcommands' names, as typed (the default, `repl`, first).
    static var subcommandNames: [String] {
        // `_commandName` is ArgumentParser's public name for a command's configured or derived name.
        SMTPRepl.configuration.subcommands.map { $0._commandName }
    }

    /// The message for a first argument that is neither an option nor a subcommand; nil otherwise.
    static func unknownSubcommand(in arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), first != "help", !subcommandNames.contains(first)
        else { return nil }
        let names = subcommandNames.enumerated().map { $0.offset == 0 ? "\($0.element) (the default)" : $0.element }
        return """
            Error: unknown subcommand '\(first)'; the subcommands are \(names.joined(separator: ", "))
            Usage: \(SMTPRepl.usageString(for: SMTPRepl.self))
              See 'smtp-repl --help' for more information.
            """
    }

    /// The message for a `ValidationError` a subcommand threw while running, with its usage.
    static func message(for error: ValidationError, in command: ParsableCommand.Type) -> String {
        let name = command == SMTPRepl.self ? "smtp-repl" : "smtp-repl \(command._commandName)"
        return """
            Error: \(error.message)
            Usage: \(SMTPRepl.usageString(for: command))
              See '\(name) --help' for more information.
            """
    }

    /// Prints `message` on stderr and exits 2.
    static func exit(_ message: String) -> Never {
        FileHandle.standardError.write(Data((TerminalText.escaped(message, keepingLineBreaks: true) + "\n").utf8))
        Foundation.exit(2)
    }
}
