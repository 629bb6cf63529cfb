import Foundation
import SMTPConversation
import SMTPTranscript

/// ScriptLine is one command of a script with where it came from and its here-document.
struct ScriptLine {
    var file: String
    var number: Int
    var text: String
    var hereDocument: [String]?
}

/// Session runs REPL commands against one conversation at a time. The interactive REPL,
/// `run`, `source` and the demo all go through `execute`.
final class Session {
    let printer: Printer
    let recorder = TranscriptRecorder()
    var extraRecorder: TranscriptRecorder?
    var lexer: Lexer
    var connection: SMTPConnection?
    var lastReply: Reply?
    let interactive: Bool
    /// Reads lines for `data` typed interactively (until a lone `.`); throws when the message
    /// is abandoned (Ctrl-C), so nothing is sent.
    var readDataLine: ((String) throws(ScriptError) -> String?)?
    /// Reads a secret without echo.
    var readSecret: ((String) -> String?)?
    /// The trust used when a command names none (e.g. the demo's CA).
    var defaultTrust: TrustSource = .system
    var sourceDepth = 0
    /// The `wallet_path=` and `wallet_password=` the last `open_connection` used, for `auth credential=`.
    var wallet: (path: String, password: String?)?
    /// `run --check`: read and check the file, send nothing.
    var checkOnly = false
    /// `--connect-to` rules for every connection a script opens.
    var connectTo: [ConnectTo] = []
    /// `--wallet` (replacing a script's wallet path) and `--wallet-password-env`'s value.
    var walletOverride: (path: String?, password: String?)?

    init(printer: Printer, variables: [String: String], interactive: Bool) {
        self.printer = printer
        self.lexer = Lexer(variables: variables, environment: ProcessInfo.processInfo.environment)
        self.interactive = interactive
    }

    /// The REPL prompt, showing the state: `smtp>`, `smtp[ehlo]>`, `smtp[tls,auth]>`, `data>`.
    var prompt: String {
        guard let connection, !connection.isClosed else { return "smtp> " }
        if connection.phase == .data { return "data> " }
        var parts: [String] = []
        switch connection.phase {
        case .awaitingGreeting, .connected: parts.append("connected")
        case .session: parts.append(connection.capabilities == nil ? "helo" : "ehlo")
        case .mailTransaction: parts.append("mail")
        case .recipients: parts.append("rcpt")
        default: break
        }
        if connection.isTLS { parts.append("tls") }
        if connection.isAuthenticated { parts.append("auth") }
        return "smtp[\(parts.joined(separator: ","))]> "
    }

    /// True while a raw AUTH (sent with `command`) waits for the answer to its 334 challenge:
    /// the next line is a secret for the history and for messages.
    var answersChallenge: Bool { connection.map { !$0.isClosed && $0.isAwaitingRawAuthResponse } ?? false }

    func observe(_ event: ConversationEvent) {
        printer.show(event)
        recorder.record(event)
        extraRecorder?.record(event)
    }

    /// Runs one line; throws with the exit code DESIGN.md gives the failure.
    func execute(_ line: ScriptLine) throws(ScriptError) {
        if let (command, text) = TextCommand.split(line.text) {
            try write(command, text: try lexer.expand(text))
            return
        }
        let answering = answersChallenge
        let tokens: [Token]
        do throws(ScriptError) { tokens = try lexer.tokenize(line.text) } catch {
            // The lexer's message may quote the line: the answer to a challenge stays hidden.
            if answering { throw .usage("the line cannot be read (not shown: it may answer the AUTH challenge)") }
            throw error
        }
        guard let first = tokens.first else { return }
        if answering, first.name != nil || Catalog.find(first.value) == nil {
            throw .usage("not a command (the line is not shown: an AUTH sent with command waits for its answer; "
                + "send the answer with command, e.g. command BASE64)")
        }
        guard first.name == nil else { throw .usage("a line must start with a command, not \(first.name!)=") }
        let name = first.value.lowercased()
        let arguments = try Arguments(tokens: Array(tokens.dropFirst()), command: name)
        try run(name, arguments, line)
    }

    static func exitCode(for error: SMTPError) -> Int32 {
        switch error.code {
        case .transientError, .permanentError, .noSupportedScheme, .authenticationFailed: return 1
        case .invalidOperation, .invalidArgument, .unsupportedScheme, .cleartextAuthRefused: return 2
        case .network, .timeout, .connectionClosed, .tls, .tlsRequired, .malformedReply, .lineTooLong, .accessDenied:
            return 3
        default:
            // A code added later: an SMTP error unless it says it is about the network.
            return error.isTransient ? 3 : 1
        }
    }

    func requireConnection(_ command: String) throws(ScriptError) -> SMTPConnection {
        guard let connection, !connection.isClosed else {
            let leave = command == "quit" ? " (to leave the REPL: exit, or Ctrl-D)" : ""
            throw ScriptError(exitCode: 2, message: "\(command): not connected; use open_connection first\(leave)")
        }
        return connection
    }

    /// Records the reply and applies `expect=` or the default rule (4xx/5xx fail).
    func settle(_ reply: Reply, _ arguments: Arguments, command: String) throws(ScriptError) {
        lastReply = reply
        if let wanted = arguments.named["expect"] {
            try check(reply, against: wanted, command: command)
        } else if reply.isFailure {
            throw ScriptError(exitCode: 1, message: "\(command): \(reply.isTransientFailure ? "transient" : "permanent") error: \(reply.singleLine)")
        }
    }

    func check(_ reply: Reply, against wanted: String, command: String) throws(ScriptError) {
        guard Self.matches(reply, wanted) else {
            throw ScriptError(exitCode: 1, message: "\(command): expected \(wanted), got \(reply.singleLine)")
        }
    }

    /// `250`, `2xx`, `25x`, `5.7.8`, `5.7.x`.
    static func matches(_ reply: Reply, _ pattern: String) -> Bool {
        if pattern.contains(".") { return reply.enhancedStatusCode?.matches(pattern) ?? false }
        let code = String(reply.code)
        guard pattern.count == 3 else { return false }
        return zip(pattern.lowercased(), code).allSatisfy { $0 == "x" || $0 == $1 }
    }
}

/// Arguments are a command's positional words and `name=value` parameters.
struct Arguments {
    var positional: [String] = []
    var named: [String: String] = [:]
    let command: String

    /// Commands whose free words are text sent as written (ESMTP parameters such as
    /// `SIZE=100`, a command line, message text): a `NAME=VALUE` word that is none of their
    /// parameters stays a word there.
    static let textCommands: Set<String> = ["mail", "rcpt", "command", "command_replies", "write_data", "write_raw_data"]

    /// Sorts the words into positional ones and parameters.
    /// - Throws: a usage error for a `name=` the command does not take (a typo such as
    ///   `tx_timeot=5` would otherwise be ignored without a word), naming the ones it takes.
    init(tokens: [Token], command: String) throws(ScriptError) {
        self.command = command
        let known = Catalog.find(command).map { Set($0.parameters.map { String($0.dropLast()) }) }
        for token in tokens {
            guard let name = token.name else {
                positional.append(token.value)
                continue
            }
            if known?.contains(name) ?? true {
                named[name] = token.value
            } else if Self.textCommands.contains(command) {
                positional.append("\(token.writtenName ?? name)=\(token.value)")
            } else {
                throw .usage(Self.unknownParameter(name, command: command))
            }
        }
    }

    /// The message for a parameter `command` does not take: the ones it takes, and the
    /// command that takes it when there is one (`allow_cleartext=` belongs to open_connection).
    static func unknownParameter(_ name: String, command: String) -> String {
        let takes = Catalog.find(command)?.parameters ?? []
        let known = takes.isEmpty ? "it takes no name= parameters" : "it takes " + takes.joined(separator: " ")
        let owners = Catalog.commands.filter { $0.parameters.contains(name + "=") }.map(\.name)
        let owner = owners.isEmpty ? "" : "; \(name)= belongs to \(owners.joined(separator: ", "))"
        return "\(command): unknown parameter \(name)=; \(known)\(owner)"
    }

    /// A parameter by name, or else the positional word at `index`.
    func value(_ name: String, position: Int? = nil) -> String? {
        if let value = named[name] { return value }
        if let position, position < positional.count { return positional[position] }
        return nil
    }

    func required(_ name: String, position: Int? = nil) throws(ScriptError) -> String {
        guard let value = value(name, position: position) else {
            throw .usage("\(command): missing \(name) (usage: \(Catalog.find(command)?.usage ?? command))")
        }
        return value
    }

    func flag(_ name: String, position: Int? = nil) throws(ScriptError) -> Bool {
        guard let value = value(name, position: position) else { return false }
        switch value.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw .usage("\(command): \(name)= takes true or false, not \(value)")
        }
    }

    func number(_ name: String, position: Int? = nil) throws(ScriptError) -> Double? {
        guard let text = value(name, position: position) else { return nil }
        guard let number = Double(text), number >= 0 else { throw .usage("\(command): \(name) must be a number, not \(text)") }
        return number
    }
}
