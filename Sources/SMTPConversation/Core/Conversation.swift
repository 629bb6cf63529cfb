/// Conversation is the client side of an SMTP session as a state machine with no I/O.
///
/// # Theory of operation
///
/// The caller owns the socket. It asks the conversation for the bytes of a command (`send`),
/// writes them, feeds whatever the server answers to `receive`, and takes replies with
/// `nextReply`. Each reply is matched to the oldest outstanding command, and only then does
/// the state change: the phase follows the replies, not the requests.
///
/// Phases follow UTL_SMTP's rules:
///
///     awaitingGreeting --220--> connected --HELO/EHLO 250--> session
///     session --MAIL 250--> mailTransaction --RCPT 2xx--> recipients --DATA 354--> data
///     data --end of data, any reply--> session
///     connected/session --STARTTLS 220--> tlsHandshake --tlsEstablished()--> connected
///     RSET 250: back to session; QUIT or any 421: closed
///
/// A call in the wrong phase is `invalidOperation` (local misuse) and nothing is sent; a reply
/// that cannot be parsed or arrives when none is due is `malformedReply` (remote
/// misbehaviour). With PIPELINING (RFC 2920) MAIL, RCPT, RSET and the end of data may be
/// followed by more commands before their replies arrive; the checks then assume the
/// outstanding commands succeed, and the replies still drive the real phase.
///
/// Rules kept here (the API layer only carries out what they decide):
/// - A greeting other than 220 refuses the session: the conversation closes and
///   `closingError` says why (a 4xx `transientError`, anything else `permanentError`).
/// - TLS is required once asked for: STARTTLS when the latest EHLO did not advertise it is
///   refused with `tlsRequired` and closes the conversation, and so does any reply to STARTTLS
///   but 220 (`closingError`, carrying the refusal). It never continues in plaintext.
/// - AUTH with a mechanism that sends the secret itself (PLAIN, LOGIN, XOAUTH2) is refused
///   without TLS (`cleartextAuthRefused`) unless the conversation was created allowing it;
///   `authMechanism(choosingFrom:)` picks the scheme as UTL_SMTP does.
/// - After STARTTLS nothing learnt in plaintext is kept: capabilities are forgotten and EHLO
///   is required again before AUTH or MAIL, because without TLS we can't trust anything the
///   server advertised.
/// - Replies to AUTH (also one sent as a raw command) are kept and returned with any echo of
///   what the client sent removed (`AuthEchoes`): a server quoting the password back must not
///   put it in a console, a transcript or a queue's last error.
/// - Every later reply (to RCPT, to the final dot, a 421, an EHLO), and every error made from
///   one, loses what carried the secret in this connection's AUTH exchanges (`SentSecrets`): the
///   password or token and the base64 lines that held it. The user name stays readable. EHLO's
///   capabilities are read from the redacted reply, so `show capabilities` cannot print it either.
/// - Bytes that arrive after the 220 to STARTTLS and before the handshake are an error, not
///   data: they were not protected and may have been injected (CVE-2011-0411).
public struct Conversation: Sendable {
    /// Phase is where the conversation stands.
    public enum Phase: String, Sendable, Equatable {
        /// Connected, waiting for the 220 greeting.
        case awaitingGreeting
        /// Greeted; HELO or EHLO is needed before a transaction.
        case connected
        /// HELO/EHLO accepted; no mail transaction open.
        case session
        /// MAIL accepted; RCPT is next.
        case mailTransaction
        /// At least one RCPT accepted; DATA may follow.
        case recipients
        /// DATA accepted (354): only body data and the end of data may be sent.
        case data
        /// STARTTLS accepted; the TLS handshake must happen before anything else.
        case tlsHandshake
        /// QUIT sent, a 421 received, or the connection lost.
        case closed
    }

    /// Step is what an outstanding reply answers.
    public enum Step: String, Sendable, Equatable {
        case greeting, helo, ehlo, startTLS, auth, mail, rcpt, data, endOfData, rset, vrfy, expn, noop, help, quit
        case command
    }

    /// The phase confirmed by the replies so far.
    public private(set) var phase: Phase = .awaitingGreeting
    /// What the latest successful EHLO advertised; nil before EHLO, after HELO and after STARTTLS.
    public private(set) var capabilities: Capabilities?
    /// True once the TLS handshake after STARTTLS (or before SMTP, for implicit TLS) completed.
    public private(set) var isTLS: Bool
    /// True after AUTH succeeded (235).
    public private(set) var isAuthenticated = false
    /// True while an AUTH exchange waits for the client's answer to a 334 challenge.
    public private(set) var isAwaitingAuthResponse = false
    /// True after an AUTH sent as a raw command (UTL_SMTP's `command`) was answered 334: the
    /// next raw line answers the challenge and is a secret, as `authResponse` is.
    public private(set) var isAwaitingRawAuthResponse = false
    /// What the latest AUTH exchange sent, removed from the replies to it (see `AuthEchoes`);
    /// kept until the next AUTH or the end of the connection.
    public private(set) var authEchoes = AuthEchoes()
    /// What this connection's AUTH exchanges sent that carries the secret, removed from every
    /// later reply (see `SentSecrets`); kept until the conversation is gone, even after it closes,
    /// as an unsolicited 421 may still be read.
    public private(set) var sentSecrets = SentSecrets()
    /// The most recent reply (with any echo of the credential removed).
    public private(set) var lastReply: Reply?
    /// The latest 334 challenge as the server sent it, for the SASL client to answer (the
    /// redacted copy in `lastReply` may have lost the bytes it needs).
    private(set) var unredactedChallenge: Reply?
    /// True while a raw AUTH line (or an answer to its challenge) waits for its reply.
    private var rawAuthOutstanding = false
    /// The mechanism of the latest AUTH sent as a raw command, upper-cased.
    private var rawAuthMechanism = ""
    /// Recipients accepted in the current transaction.
    public private(set) var acceptedRecipients = 0
    /// True when AUTH may send the secret itself (PLAIN, LOGIN, XOAUTH2) without TLS.
    public let allowsCleartextAuth: Bool
    /// Why a rule closed the conversation on a reply: a greeting other than 220, a reply to
    /// STARTTLS other than 220 (`tlsRequired`). nil otherwise; the caller closes its socket and
    /// throws it.
    public private(set) var closingError: SMTPError?

    private var parser: ReplyParser
    private var outstanding: [Step] = [.greeting]
    private var projected: Phase = .awaitingGreeting
    private var stuffer = DotStuffer()

    /// Creates a conversation waiting for the server's greeting.
    /// - Parameters:
    ///   - isTLS: true when TLS was established before SMTP (implicit TLS, port 465).
    ///   - maxReplyLineLength: the reply parser's line cap.
    ///   - maxReplyLines: the most lines one reply may have.
    ///   - maxReplyBytes: the most octets one reply may have.
    ///   - allowsCleartextAuth: allow PLAIN, LOGIN and XOAUTH2 without TLS; off by default, as
    ///     the secret would cross the network readable by anyone on the path.
    public init(isTLS: Bool = false, maxReplyLineLength: Int = 2048, maxReplyLines: Int = ReplyParser.defaultMaxLines,
                maxReplyBytes: Int = ReplyParser.defaultMaxBytes, allowsCleartextAuth: Bool = false) {
        self.isTLS = isTLS
        self.allowsCleartextAuth = allowsCleartextAuth
        self.parser = ReplyParser(maxLineLength: maxReplyLineLength, maxLines: maxReplyLines, maxBytes: maxReplyBytes)
    }

    /// The steps whose replies have not arrived yet, oldest first.
    public var outstandingSteps: [Step] { outstanding }

    /// True when the latest EHLO advertised PIPELINING.
    public var canPipeline: Bool { capabilities?.pipelining ?? false }

    // MARK: - Sending

    /// Returns the bytes of `command` after checking that it is allowed now.
    /// - Throws: `invalidOperation` when the phase does not allow it; `invalidArgument` for CR, LF
    ///   or NUL in an argument; `malformedReply` when the server sent bytes no one asked for;
    ///   `tlsRequired` (and the conversation is closed) for STARTTLS the server did not
    ///   advertise; `cleartextAuthRefused` for AUTH that would send the secret without TLS.
    public mutating func send(_ command: Command) throws(SMTPError) -> [UInt8] {
        let step = Self.step(for: command)
        try checkCanSend(step)
        if step == .startTLS, let capabilities, !capabilities.startTLS {
            // Continuing in plaintext would be the downgrade STARTTLS-stripping attackers want.
            close()
            throw SMTPError(.tlsRequired(
                "the server did not advertise STARTTLS in its EHLO reply; refusing to continue without TLS"))
        }
        if case .auth(let mechanism, _) = command, !isTLS, !allowsCleartextAuth,
            SASLClient.cleartextMechanisms.contains(mechanism.uppercased())
        {
            throw SMTPError(.cleartextAuthRefused(
                "AUTH \(mechanism.uppercased()) would send the secret over a connection without TLS; use STARTTLS or implicit TLS, "
                    + "or opt in to cleartext AUTH explicitly (Options.allowCleartextAuth)"))
        }
        if case .authResponse = command, !isAwaitingAuthResponse {
            throw SMTPError(.invalidOperation("no AUTH challenge (334) is waiting for an answer"))
        }
        if case .auth = command, isAwaitingAuthResponse {
            throw SMTPError(.invalidOperation("an AUTH exchange is in progress; answer the 334 challenge first"))
        }
        let bytes = try command.wireBytes()
        rememberSecrets(of: command)
        projected = Self.optimisticPhase(after: step, from: projected)
        if step == .auth { isAwaitingAuthResponse = false }
        outstanding.append(step)
        return bytes
    }

    /// Encodes a chunk of the message body (dot-stuffed, bare LF to CRLF, bare CR refused).
    public mutating func body<Bytes: Collection>(_ chunk: Bytes) throws(SMTPError) -> [UInt8]
    where Bytes.Element == UInt8 {
        guard phase == .data, outstanding.isEmpty else {
            throw SMTPError(.invalidOperation("body data is allowed only after DATA was answered with 354 (open_data)"))
        }
        return try stuffer.encode(chunk)
    }

    /// Ends the message body: returns the final bytes (ending in CRLF.CRLF) and expects a reply.
    public mutating func endOfData() throws(SMTPError) -> [UInt8] {
        guard phase == .data, outstanding.isEmpty else {
            throw SMTPError(.invalidOperation("close_data is allowed only after DATA was answered with 354 (open_data)"))
        }
        let bytes = try stuffer.finish()
        outstanding.append(.endOfData)
        projected = .session
        return bytes
    }

    /// Throws when `step` may not be sent now (see `send(_:)`); `SMTPConnection.check(_:)`.
    func checkCanSend(_ step: Step) throws(SMTPError) {
        if let unsolicited = unsolicitedBytesError() { throw unsolicited }
        let phase = projected
        switch phase {
        case .closed:
            throw SMTPError(.invalidOperation("the connection is closed; call open_connection again"))
        case .awaitingGreeting:
            throw SMTPError(.invalidOperation("the server's greeting has not been read yet"))
        case .tlsHandshake:
            throw SMTPError(.invalidOperation("STARTTLS was accepted; the TLS handshake must complete first"))
        case .data:
            throw SMTPError(.invalidOperation(
                "open_data was called: only write_data, write_raw_data and close_data are allowed until close_data"))
        default: break
        }
        if !outstanding.isEmpty {
            // Switches, not sets: every command of every message is checked here.
            func groupable(_ step: Step) -> Bool {
                switch step {
                case .mail, .rcpt, .rset, .endOfData: return true
                default: return false
                }
            }
            let endsGroup: Bool
            switch step {
            case .startTLS, .auth, .helo, .ehlo: endsGroup = true
            default: endsGroup = false
            }
            guard canPipeline, outstanding.allSatisfy(groupable), !endsGroup
            else {
                throw SMTPError(.invalidOperation("a reply to \(outstanding[0].rawValue) is still outstanding"))
            }
        }
        if isAwaitingAuthResponse && step != .auth {
            throw SMTPError(.invalidOperation("an AUTH exchange is in progress; answer the 334 challenge first"))
        }
        switch step {
        case .helo, .ehlo:
            break
        case .startTLS:
            if isTLS { throw SMTPError(.invalidOperation("TLS is already active on this connection")) }
            if phase == .mailTransaction || phase == .recipients {
                throw SMTPError(.invalidOperation("starttls is not allowed inside a mail transaction; call rset first"))
            }
        case .auth:
            if isAwaitingAuthResponse { break }
            if phase == .connected { throw SMTPError(.invalidOperation("auth before helo or ehlo")) }
            if phase != .session { throw SMTPError(.invalidOperation("auth is not allowed inside a mail transaction")) }
            if isAuthenticated { throw SMTPError(.invalidOperation("already authenticated on this connection")) }
        case .mail:
            if phase == .connected { throw SMTPError(.invalidOperation("mail before helo or ehlo")) }
            if phase != .session {
                throw SMTPError(.invalidOperation("a mail transaction is already open; finish it or call rset"))
            }
        case .rcpt:
            if phase != .mailTransaction && phase != .recipients {
                throw SMTPError(.invalidOperation("rcpt before mail"))
            }
        case .data:
            if phase != .recipients {
                throw SMTPError(.invalidOperation(
                    phase == .mailTransaction ? "data before rcpt" : "data before mail and rcpt"))
            }
        case .rset, .vrfy, .expn, .noop, .help, .quit, .command, .greeting, .endOfData:
            break
        }
    }

    private static func optimisticPhase(after step: Step, from phase: Phase) -> Phase {
        switch step {
        case .helo, .ehlo: return .session
        case .startTLS: return .tlsHandshake
        case .mail: return .mailTransaction
        case .rcpt: return .recipients
        case .data: return .data
        case .endOfData: return .session
        case .rset: return phase == .connected ? .connected : .session
        case .quit: return .closed
        default: return phase
        }
    }

    // MARK: - Receiving

    /// Feeds bytes received from the server.
    public mutating func receive<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        parser.append(bytes)
    }

    /// True when a reply is due and more bytes are needed to complete it.
    public var needsMoreBytes: Bool { !outstanding.isEmpty }

    /// Returns the next reply and applies its transition; nil when more bytes are needed.
    /// - Throws: `malformedReply`/`lineTooLong` for bytes that are not SMTP, or bytes after a
    ///   220 to STARTTLS. The conversation is closed after such an error.
    public mutating func nextReply() throws(SMTPError) -> Reply? {
        guard let step = outstanding.first else { return nil }
        let isAuthReply = step == .auth || (step == .command && rawAuthOutstanding)
        var secrets: SecretPatterns { isAuthReply ? authReplySecrets : sentSecrets.patterns }
        let reply: Reply
        do throws(SMTPError) {
            // A malformed line is quoted in the parser's error: it may quote the secret too.
            if !authEchoes.isEmpty || !sentSecrets.isEmpty { parser.secrets = secrets }
            guard let parsed = try parser.nextReply() else { return nil }
            reply = parsed
        } catch {
            close()
            throw error
        }
        outstanding.removeFirst()
        unredactedChallenge = isAuthReply && reply.code == 334 ? reply : nil
        let shown = secrets.redacting(reply)
        lastReply = shown
        try apply(reply, shown: shown, to: step)
        if outstanding.isEmpty { projected = phase }
        return shown
    }

    /// What a reply to AUTH must not show: everything the exchange sent, and what earlier
    /// exchanges sent that carried a secret.
    private var authReplySecrets: SecretPatterns {
        var patterns = authEchoes.patterns
        patterns.formUnion(sentSecrets.patterns)
        return patterns
    }

    /// Adds the secret of the AUTH exchange just started (the password or token, known to the
    /// caller even when the mechanism never sends it alone) to what its replies must not echo.
    public mutating func rememberAuthSecret(_ secret: String) {
        authEchoes.add(secret: secret)
        sentSecrets.add(secret: secret)
    }

    /// The line a transcript or log shows for `command` sent now: `Command.redactedLine`, and
    /// `{secret}` for a raw line answering a raw AUTH's 334 challenge.
    public func redactedLine(for command: Command) throws(SMTPError) -> String {
        if case .raw = command, isAwaitingRawAuthResponse {
            _ = try command.line()
            return Command.secretPlaceholder
        }
        return try command.redactedLine()
    }

    /// Collects what an AUTH exchange sends, to remove its echoes from the replies.
    private mutating func rememberSecrets(of command: Command) {
        switch command {
        case .auth(_, let initial):
            authEchoes = AuthEchoes()
            if let initial {
                authEchoes.add(response: initial)
                sentSecrets.add(line: initial)
            }
        case .authResponse(let response):
            authEchoes.add(response: response)
            sentSecrets.add(line: response)
        case .raw(let line):
            if isAwaitingRawAuthResponse {
                authEchoes.add(response: line)
                sentSecrets.add(line: line)
                if rawAuthMechanism == "LOGIN", !Self.asksForUserName(unredactedChallenge),
                    let answer = Base64.decode(line.trimmingSpaces())
                {
                    // The caller typed the password's base64 itself: it was never given in clear.
                    sentSecrets.add(secret: String(decoding: answer, as: UTF8.self))
                }
                rawAuthOutstanding = true
            } else if command.verb == "AUTH" {
                authEchoes = AuthEchoes()
                let words = line.split(separator: " ")
                rawAuthMechanism = words.count > 1 ? words[1].uppercased() : ""
                for word in words.dropFirst(2) {
                    authEchoes.add(response: String(word))
                    sentSecrets.add(line: String(word))
                }
                rawAuthOutstanding = true
            }
        default:
            // Anything else ends a raw exchange: the server reads it as the answer and refuses it.
            isAwaitingRawAuthResponse = false
        }
    }

    /// True when a LOGIN challenge asks for the user name (`Username:`, `User Name`).
    ///
    /// Its answer is not the secret; the answer to any other challenge (`Password:`) is.
    private static func asksForUserName(_ challenge: Reply?) -> Bool {
        guard let challenge, let decoded = Base64.decode(challenge.lines.joined().trimmingSpaces()) else {
            return false
        }
        return String(decoding: decoded, as: UTF8.self).lowercased().contains("user")
    }

    /// Records that the TLS handshake after STARTTLS completed. EHLO is required again.
    public mutating func tlsEstablished() throws(SMTPError) {
        guard phase == .tlsHandshake else {
            throw SMTPError(.invalidOperation("no STARTTLS was accepted, so no TLS handshake is due"))
        }
        isTLS = true
        phase = .connected
        projected = .connected
    }

    /// Records that the connection is gone (closed by either side or failed).
    public mutating func close() {
        phase = .closed
        projected = .closed
        outstanding = []
        isAwaitingAuthResponse = false
        isAwaitingRawAuthResponse = false
        rawAuthOutstanding = false
        authEchoes = AuthEchoes()
    }

    /// Applies `reply`'s transition; `shown` (the redacted reply) is what errors and
    /// capabilities keep.
    private mutating func apply(_ reply: Reply, shown: Reply, to step: Step) throws(SMTPError) {
        if step == .greeting, let refusal = SMTPError(refusing: shown, expected: 220) {
            // The server refuses the session (554, 421 busy, or not SMTP's 220 at all).
            close()
            closingError = refusal
            return
        }
        if step == .startTLS, reply.code != 220 {
            // TLS is required once asked for: a refused STARTTLS ends the conversation.
            close()
            closingError = SMTPError(.tlsRequired(
                "the server answered STARTTLS with \(shown.singleLine); refusing to continue without TLS", refusal: shown))
            return
        }
        if reply.code == 421 {
            // 421: the server is closing the channel, whatever the command was.
            close()
            return
        }
        switch step {
        case .greeting:
            phase = .connected
        case .helo, .ehlo:
            guard reply.isPositiveCompletion else { return }
            phase = .session
            acceptedRecipients = 0
            capabilities = step == .ehlo ? Capabilities(ehloReply: shown) : nil
        case .startTLS:
            if parser.bufferedByteCount > 0 {
                let count = parser.bufferedByteCount
                close()
                throw SMTPError(.malformedReply(
                    "\(count) bytes arrived after the 220 to STARTTLS and before the TLS handshake; refused as a response injection (CVE-2011-0411)"))
            }
            phase = .tlsHandshake
            capabilities = nil
            isAuthenticated = false
        case .auth:
            isAwaitingAuthResponse = reply.code == 334
            if reply.code == 235 { isAuthenticated = true }
        case .mail:
            if reply.isPositiveCompletion && phase == .session {
                phase = .mailTransaction
                acceptedRecipients = 0
            }
        case .rcpt:
            if reply.isPositiveCompletion && (phase == .mailTransaction || phase == .recipients) {
                phase = .recipients
                acceptedRecipients += 1
            }
        case .data:
            if reply.code == 354 && phase == .recipients {
                phase = .data
                stuffer = DotStuffer()
            }
        case .endOfData:
            phase = .session
            acceptedRecipients = 0
        case .rset:
            if reply.isPositiveCompletion && phase != .connected {
                phase = .session
                acceptedRecipients = 0
            }
        case .quit:
            close()
        case .command:
            if rawAuthOutstanding {
                rawAuthOutstanding = false
                isAwaitingRawAuthResponse = reply.code == 334
            }
        case .vrfy, .expn, .noop, .help:
            break
        }
    }

    /// Bytes from the server when no reply is due: a 421 is reported as such, anything else is
    /// a protocol error.
    private func unsolicitedBytesError() -> SMTPError? {
        guard outstanding.isEmpty, parser.bufferedByteCount > 0 else { return nil }
        var probe = parser
        if let reply = try? probe.nextReply(), reply.code == 421 {
            return SMTPError(.transientError(sentSecrets.redacting(reply)))
        }
        return SMTPError(.malformedReply("the server sent \(parser.bufferedByteCount) bytes when no reply was due"))
    }

    private static func step(for command: Command) -> Step {
        switch command {
        case .helo: return .helo
        case .ehlo: return .ehlo
        case .startTLS: return .startTLS
        case .auth, .authResponse: return .auth
        case .mail: return .mail
        case .rcpt: return .rcpt
        case .data: return .data
        case .rset: return .rset
        case .vrfy: return .vrfy
        case .expn: return .expn
        case .noop: return .noop
        case .help: return .help
        case .quit: return .quit
        case .raw: return .command
        }
    }
}
