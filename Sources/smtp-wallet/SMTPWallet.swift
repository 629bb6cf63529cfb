import ArgumentParser
import Foundation
import SMTPConversation

/// smtp-wallet manages the trust store (wallet) SMTP connections verify servers with, like
/// Oracle's orapki, and keeps its certificates current.
@main
struct SMTPWallet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp-wallet",
        abstract: "Create, inspect, check and renew the wallet SMTP connections trust.",
        discussion: """
            A wallet is a directory with ewallet.p12 (PKCS#12; `openssl pkcs12 -in ewallet.p12 -nokeys` \
            lists it) and manifest.json (where each certificate came from, naming the ewallet.p12 it \
            belongs to). Use it from the REPL with wallet_path=file:DIR.

            A wallet directory writable by its group or others, or an ewallet.p12 readable by others, \
            is refused by the commands that change it (and by TLS) and a warning for display, check, \
            export and credential list; the message gives the chmod that fixes it.

            Passwords never come from the command line unless you insist: give --password-env NAME, \
            --password-file FILE, or type it at the prompt. An auto-login wallet has no password.

            Exit status: 0 success; 1 `check` found a certificate expiring within the threshold; \
            2 a usage error, or the wallet, a file, a server or a chain verification failed (the \
            message says which), as smtp-repl and mail-queue exit 2.
            """,
        subcommands: [Create.self, Add.self, Remove.self, Display.self, Check.self, Renew.self, Export.self, Credential.self]
    )

    /// Runs the command line. ArgumentParser's own error messages repeat what was typed, so
    /// they are printed escaped (`TerminalText`), like every other message. A usage error exits
    /// 2 as the help says (ArgumentParser's own code for it is 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            // Help and versions (exit 0), and errors already reported (an ExitCode), as ArgumentParser prints them.
            if code == .success || error is ExitCode { exit(withError: error) }
            let message = TerminalText.escaped(fullMessage(for: error), keepingLineBreaks: true)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
