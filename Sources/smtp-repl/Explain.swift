import ArgumentParser
import Foundation
import SMTPConversation

/// ExplainRequest reads `CODE [TEXT]` as typed to `explain` (REPL) and `smtp-repl explain`:
/// CODE is a reply code (`535`) or an enhanced status code (`5.7.139`); TEXT is the rest of the
/// reply, e.g. `5.7.139 Authentication unsuccessful, basic authentication is disabled.`
struct ExplainRequest {
    let code: Int?
    let text: String

    /// Parses the words; nil with the reason when CODE is neither kind of code.
    static func parse(_ words: [String]) -> Result<ExplainRequest, ScriptError> {
        let all = words.joined(separator: " ").split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let first = all.first else { return .failure(.usage("explain: give a code, e.g. explain 535 \"5.7.3 Authentication unsuccessful\"")) }
        if first.count == 3, let code = Int(first), (200...599).contains(code) {
            return .success(ExplainRequest(code: code, text: all.dropFirst().joined(separator: " ")))
        }
        if EnhancedStatusCode(first) != nil { return .success(ExplainRequest(code: nil, text: all.joined(separator: " "))) }
        return .failure(.usage("explain: '\(first)' is neither a reply code (e.g. 535) nor an enhanced status code (e.g. 5.7.139)"))
    }

    /// The explanation's lines as printed.
    static func render(_ explanation: ReplyExplanation) -> [String] {
        var lines = ["\(explanation.vendor) [\(explanation.id)]", "  cause: \(explanation.cause)"]
        if let fix = explanation.fix { lines.append("  fix:   \(fix)") }
        if let source = explanation.source { lines.append("  see:   \(source)") }
        return lines
    }
}

extension Session {
    /// `explain CODE [TEXT] [tls=true|false] [after=VERB]`: the catalogue's explanation, in the
    /// context of the current connection (TLS, authenticated) unless told otherwise.
    func explain(_ arguments: Arguments) throws(ScriptError) {
        let request = try ExplainRequest.parse(arguments.positional).get()
        var context = ReplyContext(command: arguments.named["after"], mechanism: arguments.named["auth"])
        if let connection, !connection.isClosed {
            context.inTLS = connection.isTLS
            context.authenticated = connection.isAuthenticated
            context.host = connection.host
        }
        if arguments.named["tls"] != nil { context.inTLS = try arguments.flag("tls") }
        guard let explanation = ReplyCatalogue.explain(code: request.code, text: request.text, context: context) else {
            printer.info("no explanation known for \([request.code.map(String.init), request.text].compactMap { $0 }.joined(separator: " "))")
            return
        }
        for line in ExplainRequest.render(explanation) { printer.plain(line) }
    }
}

/// `smtp-repl explain CODE [TEXT]`.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain an SMTP refusal: cause and fix as Microsoft (Office365), Google (Gmail), Postfix and Exim document them.",
        discussion: """
            CODE is a reply code (535) or an enhanced status code (5.7.139); TEXT is the rest of the \
            reply as the server sent it: one code can mean different things by its text \
            (e.g. the four texts of Office365's 5.7.139). Say what the client had done with --tls or \
            --no-tls, --after COMMAND and --auth MECHANISM: an explanation never tells a client \
            already in TLS to start TLS. A text every server sends (530 5.7.0 Authentication required) \
            is read as one vendor's only when the reply or --host names it (gsmtp, smtp.gmail.com).
            Example: smtp-repl explain --tls --after AUTH --auth XOAUTH2 535 5.7.3 Authentication unsuccessful
            Exit codes: 0 explained; 1 not in the catalogue; 2 usage.
            """)

    @Flag(name: .customLong("tls"), inversion: .prefixedNo, help: "The connection was in TLS (--no-tls: plaintext); unknown when not given.")
    var tls: Bool?

    @Option(help: ArgumentHelp("The command the reply answered (AUTH, MAIL, RCPT, DATA…).", valueName: "COMMAND"))
    var after: String?

    @Option(help: ArgumentHelp("The AUTH mechanism used (XOAUTH2, LOGIN, PLAIN…).", valueName: "MECHANISM"))
    var auth: String?

    @Option(help: ArgumentHelp("The server's host name, e.g. smtp.gmail.com.", valueName: "HOST"))
    var host: String?

    @Flag(help: "AUTH had succeeded on the connection.")
    var authenticated = false

    @Argument(help: "The reply code or enhanced status code, then the reply's text.")
    var words: [String] = []

    func run() throws {
        let request: ExplainRequest
        switch ExplainRequest.parse(words) {
        case .success(let parsed): request = parsed
        case .failure(let error): throw ValidationError(String(error.message.dropFirst("explain: ".count)))
        }
        let context = ReplyContext(inTLS: tls, authenticated: authenticated ? true : nil, command: after ?? (auth == nil ? nil : "AUTH"),
                                   mechanism: auth, host: host)
        guard let explanation = ReplyCatalogue.explain(code: request.code, text: request.text, context: context) else {
            print("no explanation known for \(TerminalText.escaped(words.joined(separator: " ")))")
            throw ExitCode(1)
        }
        for line in ExplainRequest.render(explanation) { print(TerminalText.escaped(line)) }
    }
}
