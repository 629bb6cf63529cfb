import SMTPConversation
/// ReplyMismatch is a reply that differs from the transcript's.
public struct ReplyMismatch: Sendable, Equatable, CustomStringConvertible {
    /// The transcript line of the client line answered (0 for the greeting).
    public var line: Int
    /// The client line, as in the transcript.
    public var command: String
    /// The reply the transcript has.
    public var expected: [String]
    /// The reply received.
    public var actual: Reply

    /// `line 12 (RCPT TO:<b@example.com>): expected 250 …, got 550 …`.
    public var description: String {
        "line \(line) (\(command)): expected \(expected.joined(separator: " / ")), got \(actual.wireLines.joined(separator: " / "))"
    }
}

/// PlayResult is how a live server answered a transcript's client lines.
public struct PlayResult: Sendable {
    /// Every reply that differs from the transcript.
    public var mismatches: [ReplyMismatch] = []
    /// Each client line (transcript line number, text) with the reply it got.
    public var replies: [(line: Int, command: String, expected: [String], reply: Reply)] = []
    /// The error that ended the conversation early, if any.
    public var error: SMTPError?
    /// The transcript line being played when `error` ended the conversation (nil when it ended
    /// while connecting or on the greeting).
    public var errorLine: Int?
    /// True when the connection was closed by the end (QUIT, a 421, or the server).
    public var connectionClosed = false
    /// True when every reply matched and nothing failed.
    public var matched: Bool { mismatches.isEmpty && error == nil }
}

/// TranscriptPlayer plays the client side of a transcript through `SMTPConnection`, one
/// UTL_SMTP call per client line, and compares each reply with the transcript's.
///
/// EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA (content and end of data), RSET, VRFY, NOOP, HELP
/// and QUIT map to their calls; anything else goes through `command`. AUTH uses `credentials`
/// (a transcript has only `{secret}`). Replies are compared with `TranscriptMatcher`: codes
/// always, text in strict mode.
public struct TranscriptPlayer {
    /// The transcript played.
    public var transcript: Transcript
    /// How replies are compared.
    public var mode: MatchMode
    /// Credentials for AUTH lines.
    public var credentials: Credentials?
    /// Connection options (TLS trust, observer, cleartext AUTH).
    public var options: SMTPConnection.Options
    /// Seconds to wait for each reply.
    public var txTimeout: Double?

    /// Creates a player.
    public init(
        transcript: Transcript, mode: MatchMode = .meaning, credentials: Credentials? = nil,
        options: SMTPConnection.Options = SMTPConnection.Options(), txTimeout: Double? = 30
    ) {
        self.transcript = transcript
        self.mode = mode
        self.credentials = credentials
        self.options = options
        self.txTimeout = txTimeout
    }

    /// Connects to `host:port` and plays the transcript.
    /// - Parameter secureHost: the name the server certificate must carry (defaults to host).
    public func play(host: String, port: Int, secureHost: String? = nil) -> PlayResult {
        var result = PlayResult()
        let steps = transcript.steps()
        let implicitTLS = steps.first?.kind == .tls
        let connection: SMTPConnection
        do throws(SMTPError) {
            connection = try SMTPConnection.openConnection(
                host: host, port: port, txTimeout: txTimeout, secureConnectionBeforeSMTP: implicitTLS,
                secureHost: secureHost, options: options)
        } catch {
            if let greeting = steps.first(where: { $0.kind == .greeting }), let reply = error.reply {
                compare(reply, with: greeting, line: 0, command: "(greeting)", into: &result)
            }
            result.error = error
            return result
        }
        defer { connection.closeConnection() }
        if let greeting = steps.first(where: { $0.kind == .greeting }) {
            compare(connection.greeting, with: greeting, line: 0, command: "(greeting)", into: &result)
        }
        do throws(SMTPError) {
            try run(steps, on: connection, into: &result)
        } catch {
            result.error = error
        }
        result.connectionClosed = connection.isClosed
        return result
    }

    private func run(_ steps: [TranscriptStep], on connection: SMTPConnection, into result: inout PlayResult)
        throws(SMTPError)
    {
        let calls = connection.returningReplies
        var index = 0
        var inData = false
        while index < steps.count {
            let step = steps[index]
            index += 1
            guard case .exchange(let entry) = step.kind else { continue }
            result.errorLine = entry.line  // kept only if this step throws
            switch entry.kind {
            case .content(let text):
                guard inData else { continue }
                var line = TranscriptPattern(text).filled()
                if line.hasPrefix(".") { line.removeFirst() }
                try connection.writeRawData(Array((line + "\r\n").utf8))
            case .endOfData:
                guard inData else { continue }
                inData = false
                compare(try calls.closeData(), with: step, line: entry.line, command: ".", into: &result)
            case .command(let text):
                let line = TranscriptPattern(text).filled()
                let verb = TranscriptMatcher.verb(line)
                let reply: Reply
                var answered = step
                switch verb {
                case "EHLO": reply = try calls.ehlo(Self.argument(line))
                case "HELO": reply = try calls.helo(Self.argument(line))
                case "STARTTLS": reply = try connection.starttls()
                case "AUTH":
                    guard let credentials else {
                        throw SMTPError(.invalidArgument(field: "credentials", reason: "the transcript authenticates (line \(entry.line)); give credentials"))
                    }
                    let mechanism = TranscriptMatcher.word(line, 1) ?? ""
                    // The SASL exchange's further lines are the credentials: skip them, and
                    // compare the final reply.
                    while let last = Self.replyCode(answered), last == 334, index < steps.count,
                        case .exchange(let next) = steps[index].kind, case .command = next.kind
                    {
                        answered = steps[index]
                        index += 1
                    }
                    reply = try calls.auth(credentials, schemes: [mechanism])
                case "MAIL":
                    reply = try calls.mail(from: TranscriptMatcher.address(line) ?? "", parameters: Self.parameters(line))
                case "RCPT":
                    reply = try calls.rcpt(to: TranscriptMatcher.address(line) ?? "", parameters: Self.parameters(line))
                case "DATA":
                    reply = try calls.openData()
                    inData = reply.code == 354
                case "RSET": reply = try calls.rset()
                case "VRFY": reply = try calls.vrfy(Self.argument(line))
                case "NOOP": reply = try calls.noop()
                case "HELP": reply = try calls.help(Self.argument(line).isEmpty ? nil : Self.argument(line))
                case "QUIT": reply = try calls.quit()
                default: reply = try calls.command(line)
                }
                compare(reply, with: answered, line: entry.line, command: text, into: &result)
            default:
                continue
            }
        }
        result.errorLine = nil
    }

    private func compare(_ reply: Reply, with step: TranscriptStep, line: Int, command: String, into result: inout PlayResult) {
        let expected = step.reply.compactMap { entry -> String? in
            if case .server(let text) = entry.kind { return text }
            return nil
        }
        result.replies.append((line, command, expected, reply))
        guard !expected.isEmpty else { return }
        // Extra lines after the reply (an injection) are not part of the reply compared.
        let own = Array(Transcript.replyUnits(step.reply).first ?? [])
        let ownLines = own.compactMap { entry -> String? in
            if case .server(let text) = entry.kind { return text }
            return nil
        }
        if !TranscriptMatcher(mode: mode).replyMatches(expected: ownLines, actual: reply) {
            result.mismatches.append(ReplyMismatch(line: line, command: command, expected: ownLines, actual: reply))
        }
    }

    private static func replyCode(_ step: TranscriptStep) -> Int? {
        let lines = step.reply.compactMap { entry -> String? in
            if case .server(let text) = entry.kind { return text }
            return nil
        }
        return TranscriptMatcher.reply(from: lines)?.code
    }

    static func argument(_ line: String) -> String {
        guard let space = line.firstIndex(of: " ") else { return "" }
        return String(line[line.index(after: space)...])
    }

    static func parameters(_ line: String) -> [String] {
        guard let close = line.firstIndex(of: ">") else { return [] }
        return line[line.index(after: close)...].split(separator: " ").map(String.init)
    }
}
