/// ServerConversation is the server side of an SMTP session as a state machine with no I/O.
///
/// # Theory of operation
///
/// The host owns the socket. It feeds whatever the client sends to `receive`, asks for events
/// with `nextEvent` until it returns nil (more bytes needed), writes `takeOutput()` and reads
/// again. Commands are taken from the input one at a time, in order, so a pipelined group
/// (RFC 2920) is answered reply by reply exactly as if it had arrived command by command;
/// the host flushes only when the input is exhausted, which is when RFC 2920 asks a server to.
///
/// The machine answers syntax and sequence on its own. What it cannot know, it asks: an AUTH
/// proof, a MAIL sender, a RCPT recipient and a finished message each come out as an event,
/// and the machine stops taking input until the host answers `accept` or `refuse`. The final
/// dot is answered only then, so a host that stores the message before accepting it never
/// says 250 for a message it does not have.
///
/// Phases:
///
///     connected --HELO/EHLO 250--> session --MAIL (accepted)--> mailTransaction
///     mailTransaction --RCPT (accepted)--> recipients --DATA 354--> data
///     data --CRLF.CRLF, message accepted or refused--> session
///     session --AUTH mechanism--> authExchange --last response, decided--> session
///     connected/session --STARTTLS 220--> tlsHandshake --tlsEstablished()--> connected
///     RSET or HELO/EHLO: back to session; QUIT, a 421 or too many errors: closed
///
/// Security rules kept here:
/// - MAIL needs a successful AUTH when `requireAuth` (530 5.7.0); AUTH is refused without TLS
///   when `authRequiresTLS` (538 5.7.11) and is not even advertised there.
/// - STARTTLS forgets everything learnt in plaintext: the EHLO, the authentication and any
///   transaction. Bytes the client sent behind the STARTTLS line are discarded unread: they
///   were not protected and may have been injected (CVE-2011-0411).
/// - In DATA only CRLF ends a line. A bare LF, a bare CR or a NUL marks the message as refused
///   (554 5.6.0) and never ends the data early, so `\n.\n` cannot smuggle a second message
///   past a server that reads it differently (SMTP smuggling, CVE-2023-51764 and relatives).
/// - Every input is bounded: command lines (500 5.5.2), message lines and size (552 5.3.4),
///   recipients (452 4.5.3), errors and failed AUTH attempts (421 4.7.0). Time bounds belong
///   to the host, which calls `timeOut()` (421 4.4.2).
public struct ServerConversation: Sendable {
    /// Phase is where the session stands.
    public enum Phase: String, Sendable, Equatable {
        /// Greeted; HELO or EHLO is needed.
        case connected
        /// HELO/EHLO done; no mail transaction open.
        case session
        /// MAIL accepted; RCPT is next.
        case mailTransaction
        /// At least one RCPT accepted; DATA may follow.
        case recipients
        /// 354 sent: message content until CRLF.CRLF.
        case data
        /// An AUTH exchange waits for the client's answer to a 334 challenge.
        case authExchange
        /// 220 to STARTTLS sent; the TLS handshake must happen before anything else.
        case tlsHandshake
        /// QUIT answered, a 421 sent, or the connection lost.
        case closed
    }

    /// TranscriptLine is one line of the session as a transcript shows it (secrets redacted).
    public enum TranscriptLine: Sendable, Equatable {
        /// A command line from the client, without CRLF; AUTH secrets are `{secret}`.
        case client(String)
        /// Message content lines as received (dot-stuffed, line ends included).
        case clientData([UInt8])
        /// A reply the server sent.
        case server(Reply)
        /// The TLS handshake after STARTTLS.
        case tls
    }

    /// The configuration (what is offered, the limits).
    public let configuration: ServerConfiguration
    /// The current phase.
    public private(set) var phase: Phase = .connected
    /// True once TLS is up (implicit TLS, or after STARTTLS and `tlsEstablished()`).
    public private(set) var isTLS: Bool
    /// The user name accepted by AUTH on this session, if any.
    public private(set) var authenticatedUser: String?
    /// The domain the client gave in HELO/EHLO.
    public private(set) var clientDomain: String?
    /// Messages accepted on this session.
    public private(set) var acceptedMessages = 0

    private enum Pending: Sendable {
        case auth
        case mail(MailFromRequest)
        case recipient(String)
        case message
    }

    private enum AuthStep: Sendable {
        case plain
        case loginUsername
        case loginPassword(String)
        case cramMD5(String)
    }

    private enum DataProblem: Sendable {
        case tooLarge
        case bareLF(line: Int)
        case bareCR(line: Int)
        case nul(line: Int)
        case lineTooLong(line: Int)
    }

    private let cramChallenge: String
    private let recording: Bool
    private var input: [UInt8] = []
    private var inputStart = 0
    private var output: [UInt8] = []
    private var transcript: [TranscriptLine] = []
    private var pending: Pending?
    private var authStep: AuthStep?
    private var extended = false
    private var errors = 0
    private var authFailures = 0
    private var discardingLine = false
    private var closeReported = false
    private var mailFrom: MailFromRequest?
    private var recipients: [String] = []
    private var message: [UInt8] = []
    private var messageSize = 0
    private var dataLines = 0
    private var dataProblem: DataProblem?

    /// Creates a session and puts the 220 greeting in the output.
    /// - Parameters:
    ///   - configuration: what is offered and the limits.
    ///   - isTLS: true when TLS came before SMTP (implicit TLS, port 465).
    ///   - challenge: a string unique to this session for CRAM-MD5 (RFC 2195 asks for
    ///     `<random.time@host>`); the host makes it, since the core has no clock or randomness.
    ///   - recording: keep a transcript (`takeTranscript()`).
    public init(configuration: ServerConfiguration, isTLS: Bool = false, challenge: String = "", recording: Bool = false) {
        self.configuration = configuration
        self.isTLS = isTLS
        self.cramChallenge = challenge.isEmpty ? "<0.0@\(configuration.hostname)>" : challenge
        self.recording = recording
        reply(220, "\(configuration.hostname) ESMTP ready")
    }

    // MARK: - Host interface

    /// Feeds bytes received from the client.
    public mutating func receive<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        guard phase != .closed, phase != .tlsHandshake else { return }
        input.append(contentsOf: bytes)
    }

    /// The bytes to write to the client now; empties the output.
    public mutating func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }

    /// The transcript lines since the last call (only when `recording`).
    public mutating func takeTranscript() -> [TranscriptLine] {
        defer { transcript = [] }
        return transcript
    }

    /// True while a message is being received (after 354, before the final dot).
    public var isReceivingData: Bool { phase == .data }

    /// The number of input bytes not processed yet.
    public var bufferedByteCount: Int { input.count - inputStart }

    /// The EHLO keywords offered now (they change with TLS).
    public var capabilities: [String] {
        var lines = ["PIPELINING", "SIZE \(configuration.maxMessageSize)", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"]
        if configuration.startTLSAvailable && !isTLS { lines.append("STARTTLS") }
        if authOffered { lines.append("AUTH " + configuration.authMechanisms.joined(separator: " ")) }
        lines.append("HELP")
        return lines
    }

    private var authOffered: Bool {
        !configuration.authMechanisms.isEmpty && (isTLS || !configuration.authRequiresTLS)
    }

    /// Takes the next command from the input and returns what the host must act on; nil when
    /// more bytes are needed (flush the output then).
    /// - Throws: `invalidOperation` when the previous event still waits for `accept`/`refuse`.
    public mutating func nextEvent() throws(SMTPError) -> ServerEvent? {
        if pending != nil {
            throw SMTPError(.invalidOperation("the previous event waits for accept or refuse"))
        }
        while pending == nil {
            switch phase {
            case .closed:
                guard !closeReported else { return nil }
                closeReported = true
                return .close
            case .tlsHandshake:
                return nil
            case .data:
                guard let event = takeDataLine() else { return phase == .closed ? try nextEvent() : nil }
                if let event { return event }
            default:
                guard let line = takeCommandLine() else { return phase == .closed ? try nextEvent() : nil }
                if let event = handleLine(line) { return event }
            }
        }
        return nil
    }

    /// Accepts what the pending event asked for; `reply` replaces the default 2xx (for a
    /// message, name where it went: `250 2.0.0 queued as mq.123`).
    /// - Throws: `invalidOperation` when no event waits for a decision.
    public mutating func accept(_ reply: Reply? = nil) throws(SMTPError) {
        guard let decided = pending else {
            throw SMTPError(.invalidOperation("no event waits for a decision"))
        }
        pending = nil
        switch decided {
        case .auth:
            authenticatedUser = authUsername
            authUsername = nil
            send(reply ?? Reply(235, "2.7.0 Authentication successful"))
        case .mail(let request):
            mailFrom = request
            recipients = []
            phase = .mailTransaction
            send(reply ?? Reply(250, "2.1.0 Sender OK"))
        case .recipient(let address):
            recipients.append(address)
            phase = .recipients
            send(reply ?? Reply(250, "2.1.5 Recipient OK"))
        case .message:
            acceptedMessages += 1
            resetTransaction()
            send(reply ?? Reply(250, "2.0.0 OK"))
        }
    }

    /// Refuses what the pending event asked for with `reply` (4xx or 5xx).
    /// - Throws: `invalidOperation` when no event waits for a decision, or for a reply that is
    ///   not a failure.
    public mutating func refuse(_ reply: Reply) throws(SMTPError) {
        guard let decided = pending else {
            throw SMTPError(.invalidOperation("no event waits for a decision"))
        }
        guard reply.isFailure else {
            throw SMTPError(.invalidOperation("a refusal needs a 4xx or 5xx reply, not \(reply.code)"))
        }
        pending = nil
        switch decided {
        case .auth:
            authUsername = nil
            send(reply)
            authFailures += 1
            if authFailures >= configuration.maxAuthFailures {
                closeWith(Reply(421, "4.7.0 \(configuration.hostname) Too many failed authentication attempts"))
            }
        case .mail, .recipient:
            send(reply)
        case .message:
            resetTransaction()
            send(reply)
        }
    }

    /// Records that the TLS handshake after STARTTLS completed. EHLO is required again.
    /// - Throws: `invalidOperation` when no STARTTLS was accepted.
    public mutating func tlsEstablished() throws(SMTPError) {
        guard phase == .tlsHandshake else {
            throw SMTPError(.invalidOperation("no STARTTLS was accepted, so no TLS handshake is due"))
        }
        isTLS = true
        phase = .connected
        if recording { transcript.append(.tls) }
    }

    /// The session ran out of time (idle or total): 421 4.4.2 and closed.
    public mutating func timeOut() {
        closeWith(Reply(421, "4.4.2 \(configuration.hostname) Error: timeout exceeded"))
    }

    /// Ends the session with `reply` (a 421) and closes it, e.g. when the server shuts down.
    public mutating func close(with reply: Reply) {
        closeWith(reply)
    }

    /// Records that the connection is gone; whatever was pending is dropped (a message whose
    /// final dot did not arrive is never reported).
    public mutating func connectionLost() {
        phase = .closed
        pending = nil
        resetTransaction()
    }

    // MARK: - Input framing

    /// The next command line without its line end; nil when no whole line is buffered. A line
    /// longer than the limit is answered 500 5.5.2 and skipped up to its end.
    private mutating func takeCommandLine() -> [UInt8]? {
        while true {
            guard let lf = input[inputStart...].firstIndex(of: lfByte) else {
                if bufferedByteCount > configuration.maxCommandLineLength + 2 {
                    inputStart = input.count
                    compactInput()
                    if !discardingLine {
                        discardingLine = true
                        commandError(500, "5.5.2 Line too long (the limit is \(configuration.maxCommandLineLength) octets)")
                    }
                }
                return nil
            }
            var line = Array(input[inputStart..<lf])
            inputStart = lf + 1
            compactInput()
            if discardingLine {
                discardingLine = false
                continue
            }
            if line.last == crByte { line.removeLast() }
            if line.count > configuration.maxCommandLineLength {
                commandError(500, "5.5.2 Line too long (the limit is \(configuration.maxCommandLineLength) octets)")
                if phase == .closed { return nil }
                continue
            }
            return line
        }
    }

    private mutating func compactInput() {
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.count <= 65536)
            inputStart = 0
        } else if inputStart > 65536 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }

    // MARK: - Commands

    private mutating func handleLine(_ bytes: [UInt8]) -> ServerEvent? {
        if phase == .authExchange { return handleAuthResponse(bytes) }
        let text = String(decoding: bytes, as: UTF8.self)
        if recording { transcript.append(.client(Self.redacted(text))) }
        if bytes.contains(0) {
            commandError(500, "5.5.2 NUL in command line")
            return nil
        }
        let verb = String(text.prefix { $0 != " " }).uppercased()
        var argument = Substring(text.dropFirst(verb.count))
        if argument.first == " " { argument = argument.dropFirst() }
        let arguments = String(argument).trimmingSpaces()
        switch verb {
        case "EHLO", "HELO":
            guard !arguments.isEmpty, !arguments.contains(" ") else {
                commandError(501, "5.5.4 Syntax: \(verb) hostname")
                return nil
            }
            clientDomain = arguments
            extended = verb == "EHLO"
            resetTransaction()
            phase = .session
            if extended {
                send(Reply(code: 250, lines: ["\(configuration.hostname) Hello \(arguments)"] + capabilities))
            } else {
                send(Reply(250, configuration.hostname))
            }
        case "STARTTLS":
            return startTLS(arguments)
        case "AUTH":
            return startAuth(arguments)
        case "MAIL":
            return mail(arguments)
        case "RCPT":
            return rcpt(arguments)
        case "DATA":
            data(arguments)
        case "RSET":
            guard arguments.isEmpty else { return syntax("RSET") }
            resetTransaction()
            send(Reply(250, "2.0.0 OK"))
        case "NOOP":
            send(Reply(250, "2.0.0 OK"))
        case "QUIT":
            send(Reply(221, "2.0.0 \(configuration.hostname) closing connection"))
            closeWith(nil)
            closeReported = true
            return .close
        case "VRFY":
            guard !arguments.isEmpty else { return syntax("VRFY user") }
            send(Reply(252, "2.5.0 Cannot VRFY user, but will accept message and attempt delivery"))
        case "EXPN":
            commandError(502, "5.5.1 EXPN not available")
        case "HELP":
            send(Reply(214, "2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT"))
        default:
            commandError(500, "5.5.2 Command not recognized")
        }
        return nil
    }

    private mutating func startTLS(_ arguments: String) -> ServerEvent? {
        guard arguments.isEmpty else { return syntax("STARTTLS") }
        guard configuration.startTLSAvailable, !isTLS else {
            commandError(isTLS ? 503 : 502, isTLS ? "5.5.1 TLS already active" : "5.5.1 STARTTLS not available")
            return nil
        }
        guard phase == .connected || phase == .session else {
            commandError(503, "5.5.1 STARTTLS is not allowed inside a mail transaction")
            return nil
        }
        send(Reply(220, "2.0.0 Ready to start TLS"))
        // Anything behind the STARTTLS line came in plaintext: it is dropped, never executed.
        let discarded = bufferedByteCount
        input = []
        inputStart = 0
        discardingLine = false
        resetTransaction()
        authenticatedUser = nil
        clientDomain = nil
        extended = false
        phase = .tlsHandshake
        return .startTLS(discardedBytes: discarded)
    }

    private mutating func mail(_ arguments: String) -> ServerEvent? {
        guard phase == .session else {
            switch phase {
            case .connected: commandError(503, "5.5.1 Send EHLO or HELO first")
            default: commandError(503, "5.5.1 Nested MAIL command")
            }
            return nil
        }
        if configuration.requireAuth && authenticatedUser == nil {
            commandError(530, "5.7.0 Authentication required")
            return nil
        }
        guard let (path, parameters) = Self.splitPath(arguments, keyword: "FROM:") else {
            return syntax("MAIL FROM:<address>")
        }
        var request = MailFromRequest(reversePath: path)
        if !parameters.isEmpty && !extended {
            commandError(555, "5.5.4 MAIL parameters need EHLO")
            return nil
        }
        for parameter in parameters {
            let key = String(parameter.prefix { $0 != "=" }).uppercased()
            let value = parameter.contains("=") ? String(parameter.drop { $0 != "=" }.dropFirst()) : nil
            switch (key, value?.uppercased()) {
            case ("SIZE", let size?):
                guard size.count <= 18, let declared = Int(size), declared >= 0 else {
                    return syntax("MAIL FROM:<address> SIZE=octets")
                }
                guard declared <= configuration.maxMessageSize else {
                    commandError(552, "5.3.4 Message size exceeds fixed maximum message size (\(configuration.maxMessageSize) octets)")
                    return nil
                }
                request.declaredSize = declared
            case ("BODY", "7BIT"?):
                request.eightBitMIME = false
            case ("BODY", "8BITMIME"?):
                request.eightBitMIME = true
            case ("SMTPUTF8", nil):
                request.smtpUTF8 = true
            case ("AUTH", _?):
                break  // RFC 4954 §5: the submitter's identity; the authenticated user is what counts.
            default:
                commandError(555, "5.5.4 MAIL parameter \(key) not supported")
                return nil
            }
        }
        if let problem = Self.addressProblem(path, smtpUTF8: request.smtpUTF8) {
            commandError(problem.code, problem.text)
            return nil
        }
        pending = .mail(request)
        return .mailFrom(request)
    }

    private mutating func rcpt(_ arguments: String) -> ServerEvent? {
        guard phase == .mailTransaction || phase == .recipients else {
            commandError(503, phase == .connected ? "5.5.1 Send EHLO or HELO first" : "5.5.1 Need MAIL command")
            return nil
        }
        guard let (path, parameters) = Self.splitPath(arguments, keyword: "TO:") else {
            return syntax("RCPT TO:<address>")
        }
        guard parameters.isEmpty else {
            commandError(555, "5.5.4 RCPT parameters not supported")
            return nil
        }
        guard !path.isEmpty else {
            commandError(501, "5.1.3 Bad recipient address syntax")
            return nil
        }
        if let problem = Self.addressProblem(path, smtpUTF8: mailFrom?.smtpUTF8 ?? false) {
            commandError(problem.code, problem.text)
            return nil
        }
        guard recipients.count < configuration.maxRecipients else {
            send(Reply(452, "4.5.3 Too many recipients (the limit is \(configuration.maxRecipients))"))
            return nil
        }
        pending = .recipient(path)
        return .recipient(path)
    }

    private mutating func data(_ arguments: String) {
        guard arguments.isEmpty else {
            _ = syntax("DATA")
            return
        }
        switch phase {
        case .recipients:
            send(Reply(354, "End data with <CR><LF>.<CR><LF>"))
            phase = .data
            message = []
            messageSize = 0
            dataLines = 0
            dataProblem = nil
        case .mailTransaction:
            commandError(554, "5.5.1 No valid recipients")
        case .connected:
            commandError(503, "5.5.1 Send EHLO or HELO first")
        default:
            commandError(503, "5.5.1 Need MAIL command")
        }
    }

    // MARK: - AUTH (RFC 4954)

    private var authUsername: String?

    private mutating func startAuth(_ arguments: String) -> ServerEvent? {
        let words = arguments.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard phase == .session else {
            commandError(503, phase == .connected
                ? "5.5.1 Send EHLO first" : "5.5.1 AUTH is not allowed inside a mail transaction")
            return nil
        }
        guard extended else {
            commandError(503, "5.5.1 Send EHLO first")
            return nil
        }
        guard authenticatedUser == nil else {
            commandError(503, "5.5.1 Already authenticated")
            return nil
        }
        guard !configuration.authMechanisms.isEmpty else {
            commandError(502, "5.5.1 AUTH not available")
            return nil
        }
        // Without TLS a password crosses the network in the clear: not accepted at all.
        guard isTLS || !configuration.authRequiresTLS else {
            commandError(538, "5.7.11 Encryption required for requested authentication mechanism")
            return nil
        }
        guard let mechanism = words.first?.uppercased(), words.count <= 2 else { return syntax("AUTH mechanism") }
        guard configuration.authMechanisms.contains(mechanism) else {
            commandError(504, "5.5.4 Unrecognized authentication type")
            return nil
        }
        let initial = words.count == 2 ? words[1] : nil
        phase = .authExchange
        switch mechanism {
        case "PLAIN":
            authStep = .plain
            guard let initial else {
                send(Reply(334, ""))
                return nil
            }
            return handleAuthResponse(Array(initial.utf8), recorded: true)
        case "LOGIN":
            authStep = .loginUsername
            guard let initial else {
                send(Reply(334, Base64.encode("Username:")))
                return nil
            }
            return handleAuthResponse(Array(initial.utf8), recorded: true)
        case "CRAM-MD5":
            guard initial == nil else {
                authStep = nil
                phase = .session
                return syntax("AUTH CRAM-MD5")
            }
            authStep = .cramMD5(cramChallenge)
            send(Reply(334, Base64.encode(cramChallenge)))
            return nil
        default:
            phase = .session
            commandError(504, "5.5.4 Unrecognized authentication type")
            return nil
        }
    }

    private mutating func handleAuthResponse(_ bytes: [UInt8], recorded: Bool = false) -> ServerEvent? {
        if recording && !recorded { transcript.append(.client(Command.secretPlaceholder)) }
        let text = String(decoding: bytes, as: UTF8.self).trimmingSpaces()
        guard let step = authStep else { return nil }
        if text == "*" {
            endAuthExchange()
            commandError(501, "5.7.0 Authentication cancelled")
            return nil
        }
        guard let decoded = text == "=" ? [] : Base64.decode(text) else {
            endAuthExchange()
            commandError(501, "5.5.2 Cannot decode the AUTH response (base64)")
            return nil
        }
        switch step {
        case .plain:
            let parts = decoded.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[1].isEmpty else {
                endAuthExchange()
                commandError(501, "5.5.2 AUTH PLAIN needs authzid NUL authcid NUL password")
                return nil
            }
            let authzid = String(decoding: parts[0], as: UTF8.self)
            return decide(SASLServerAttempt(
                mechanism: "PLAIN", username: String(decoding: parts[1], as: UTF8.self),
                authorizationIdentity: authzid.isEmpty ? nil : authzid,
                proof: .password(String(decoding: parts[2], as: UTF8.self))))
        case .loginUsername:
            authStep = .loginPassword(String(decoding: decoded, as: UTF8.self))
            send(Reply(334, Base64.encode("Password:")))
            return nil
        case .loginPassword(let username):
            return decide(SASLServerAttempt(
                mechanism: "LOGIN", username: username, proof: .password(String(decoding: decoded, as: UTF8.self))))
        case .cramMD5(let challenge):
            let answer = String(decoding: decoded, as: UTF8.self)
            guard let space = answer.lastIndex(of: " ") else {
                endAuthExchange()
                commandError(501, "5.5.2 AUTH CRAM-MD5 needs user SP digest")
                return nil
            }
            return decide(SASLServerAttempt(
                mechanism: "CRAM-MD5", username: String(answer[..<space]),
                proof: .cramMD5(challenge: challenge, digest: String(answer[answer.index(after: space)...]))))
        }
    }

    private mutating func decide(_ attempt: SASLServerAttempt) -> ServerEvent {
        endAuthExchange()
        authUsername = attempt.username
        pending = .auth
        return .authenticate(attempt)
    }

    private mutating func endAuthExchange() {
        authStep = nil
        phase = .session
    }

    // MARK: - DATA

    /// Takes one line of message content. Returns nil when more bytes are needed, `.some(nil)`
    /// when a line was taken, `.some(event)` after the final dot of an acceptable message.
    private mutating func takeDataLine() -> ServerEvent?? {
        guard let lf = input[inputStart...].firstIndex(of: lfByte) else {
            if bufferedByteCount > configuration.maxDataLineLength + 2 {
                // Part of an overlong line: counted and dropped, never kept.
                if recording { transcript.append(.clientData(Array(input[inputStart...]))) }
                messageSize += bufferedByteCount
                inputStart = input.count
                compactInput()
                if !discardingLine { dataLines += 1 }
                discardingLine = true
                noteProblem(.lineTooLong(line: dataLines))
                if messageSize > configuration.maxMessageSize { noteProblem(.tooLarge) }
            }
            return nil
        }
        let line = input[inputStart..<lf]
        let wasDiscarding = discardingLine
        discardingLine = false
        inputStart = lf + 1
        if recording { transcript.append(.clientData(Array(line) + [lfByte])) }
        defer { compactInput() }
        if !wasDiscarding { dataLines += 1 }
        let hasCR = line.last == crByte
        let content = hasCR ? line.dropLast() : line
        if !wasDiscarding && hasCR && content.count == 1 && content.first == dotByte {
            return .some(endOfData())
        }
        if !hasCR { noteProblem(.bareLF(line: dataLines)) }
        if content.contains(crByte) { noteProblem(.bareCR(line: dataLines)) }
        if content.contains(0) { noteProblem(.nul(line: dataLines)) }
        if content.count > configuration.maxDataLineLength || wasDiscarding {
            noteProblem(.lineTooLong(line: dataLines))
        }
        let unstuffed = !wasDiscarding && content.first == dotByte ? content.dropFirst() : content
        messageSize += unstuffed.count + 2
        if messageSize > configuration.maxMessageSize { noteProblem(.tooLarge) }
        if dataProblem == nil {
            message.append(contentsOf: unstuffed)
            message.append(crByte)
            message.append(lfByte)
        }
        return .some(nil)
    }

    private mutating func noteProblem(_ problem: DataProblem) {
        if case .tooLarge = problem {
            // The size is what the client can act on, whatever else was wrong.
            dataProblem = .tooLarge
        } else if dataProblem == nil {
            dataProblem = problem
        }
        message = []
    }

    private mutating func endOfData() -> ServerEvent? {
        phase = .session
        if let problem = dataProblem {
            resetTransaction()
            switch problem {
            case .tooLarge:
                send(Reply(552, "5.3.4 Message size exceeds fixed maximum message size (\(configuration.maxMessageSize) octets)"))
            case .bareLF(let line):
                send(Reply(554, "5.6.0 Message refused: bare LF (not after CR) in line \(line); lines must end with CRLF"))
            case .bareCR(let line):
                send(Reply(554, "5.6.0 Message refused: bare CR (not before LF) in line \(line)"))
            case .nul(let line):
                send(Reply(554, "5.6.0 Message refused: NUL in line \(line)"))
            case .lineTooLong(let line):
                send(Reply(500, "5.5.2 Line too long: line \(line) of the message is longer than \(configuration.maxDataLineLength) octets"))
            }
            return nil
        }
        guard let mailFrom else { return nil }
        let received = ReceivedMessage(
            mailFrom: mailFrom, recipients: recipients, data: message, authenticatedUser: authenticatedUser)
        message = []
        pending = .message
        return .message(received)
    }

    // MARK: - Helpers

    private mutating func resetTransaction() {
        if phase == .mailTransaction || phase == .recipients || phase == .data { phase = .session }
        mailFrom = nil
        recipients = []
        message = []
        messageSize = 0
        dataProblem = nil
    }

    private mutating func send(_ reply: Reply) {
        output.append(contentsOf: reply.wireBytes)
        if recording { transcript.append(.server(reply)) }
    }

    private mutating func reply(_ code: Int, _ text: String) { send(Reply(code, text)) }

    /// A refusal caused by the client's own command: counted, and the session closed once
    /// there were too many.
    private mutating func commandError(_ code: Int, _ text: String) {
        send(Reply(code, text))
        errors += 1
        if errors >= configuration.maxErrors {
            closeWith(Reply(421, "4.7.0 \(configuration.hostname) Too many errors"))
        }
    }

    private mutating func syntax(_ usage: String) -> ServerEvent? {
        commandError(501, "5.5.4 Syntax: \(usage)")
        return nil
    }

    private mutating func closeWith(_ reply: Reply?) {
        guard phase != .closed else { return }
        if let reply { send(reply) }
        phase = .closed
        pending = nil
        authStep = nil
        resetTransaction()
        phase = .closed
    }

    /// `FROM:<path> params` -> the path without brackets and the parameters; nil for bad syntax.
    static func splitPath(_ arguments: String, keyword: String) -> (String, [String])? {
        guard arguments.uppercased().hasPrefix(keyword) else { return nil }
        var rest = Substring(arguments.dropFirst(keyword.count))
        while rest.first == " " { rest = rest.dropFirst() }
        var path: Substring
        if rest.first == "<" {
            var inQuotes = false
            var escaped = false
            var end: Substring.Index?
            for index in rest.indices.dropFirst() {
                let character = rest[index]
                if escaped { escaped = false; continue }
                if character == "\\" && inQuotes { escaped = true; continue }
                if character == "\"" { inQuotes.toggle(); continue }
                if character == ">" && !inQuotes { end = index; break }
            }
            guard let end else { return nil }
            path = rest[rest.index(after: rest.startIndex)..<end]
            rest = rest[rest.index(after: end)...]
            // A source route (`<@a,@b:user@d>`) is accepted and ignored (RFC 5321 §4.1.2).
            if path.first == "@", let colon = path.firstIndex(of: ":") { path = path[path.index(after: colon)...] }
        } else {
            path = rest.prefix { $0 != " " }
            rest = rest.dropFirst(path.count)
            guard !path.isEmpty else { return nil }
        }
        guard rest.isEmpty || rest.first == " " else { return nil }
        let parameters = rest.split(separator: " ").map(String.init)
        return (String(path), parameters)
    }

    /// Why `path` is not an address the server takes, as a reply; nil when it is fine.
    static func addressProblem(_ path: String, smtpUTF8: Bool) -> (code: Int, text: String)? {
        if path.utf8.count > 256 { return (501, "5.1.7 Address longer than 256 octets") }
        if path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return (501, "5.1.7 Control character in address")
        }
        if !smtpUTF8 && path.utf8.contains(where: { $0 >= 0x80 }) {
            return (553, "5.6.7 Non-ASCII address needs SMTPUTF8")
        }
        return nil
    }

    /// The command line as a transcript may show it: the AUTH initial response is a secret.
    static func redacted(_ line: String) -> String {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 3, words[0].uppercased() == "AUTH" else { return line }
        return "\(words[0]) \(words[1]) \(Command.secretPlaceholder)"
    }
}

private let crByte = UInt8(ascii: "\r")
private let lfByte = UInt8(ascii: "\n")
private let dotByte = UInt8(ascii: ".")
