/// SMTPConnection is one SMTP conversation over TCP or TLS, driven one UTL_SMTP call at a time.
///
/// ```swift
/// let c = try SMTPConnection.openConnection(host: "smtp.office365.com", port: 587, txTimeout: 60)
/// try c.ehlo("client.example.com")
/// try c.starttls()
/// try c.ehlo("client.example.com")
/// try c.auth(username: user, password: password, schemes: ["LOGIN", "XOAUTH2"])
/// try c.mail(from: "sender@example.com")
/// try c.rcpt(to: "receiver@example.com")
/// try c.data("Subject: hello\r\n\r\nbody\r\n")
/// try c.quit()
/// ```
///
/// Each call is UTL_SMTP's procedure form: a 4xx reply throws `SMTPError` with
/// `.transientError(reply)`, a 5xx `.permanentError(reply)`, and the reply is returned otherwise.
/// `returningReplies` is the function form: the same calls return every reply as a value.
/// The protocol rules live in `Conversation`; this class only moves bytes.
public final class SMTPConnection {
    /// The host name given to `openConnection`.
    public let host: String
    /// The port given to `openConnection`.
    public let port: Int
    /// Seconds to wait for each whole reply or write; nil waits forever, 0 does not wait (UTL_SMTP's `tx_timeout`).
    public var txTimeout: Double?
    /// The numeric address connected to.
    public let remoteAddress: String
    /// The server's greeting (220).
    public private(set) var greeting: Reply
    /// The options the connection was opened with.
    public let options: Options

    var conversation: Conversation
    var stream: any ByteStream
    var socket: Socket
    /// The chain the server presented in the TLS handshake, leaf first; empty without TLS.
    public internal(set) var peerCertificates: [CertificateInfo] = []
    /// The envelope written behind the last final dot whose replies are unread (`envelopeAhead`).
    var ahead: Envelope?

    /// Creates a connection over `stream`, its conversation waiting for the greeting and set up
    /// from `options` (reply bounds, cleartext AUTH); `isTLS` when TLS came before SMTP.
    init(host: String, port: Int, txTimeout: Double?, options: Options, socket: Socket, stream: any ByteStream,
         isTLS: Bool) {
        self.host = host
        self.port = port
        self.txTimeout = txTimeout
        self.options = options
        self.socket = socket
        self.stream = stream
        self.remoteAddress = socket.remoteAddress
        self.conversation = Conversation(
            isTLS: isTLS, maxReplyLineLength: options.maxReplyLineLength, maxReplyLines: options.maxReplyLines,
            maxReplyBytes: options.maxReplyBytes, allowsCleartextAuth: options.allowCleartextAuth)
        self.greeting = Reply(0, "")
    }

    deinit { stream.close() }

    /// Opens a connection and reads the server's greeting (UTL_SMTP's `open_connection`).
    /// - Parameters:
    ///   - host: the server's name or address.
    ///   - port: the port; 25, 587 (submission, with STARTTLS) or 465 (implicit TLS).
    ///   - txTimeout: seconds to wait for each read or write; nil forever, 0 no wait.
    ///   - secureConnectionBeforeSMTP: true for implicit TLS (port 465): TLS before the greeting.
    ///   - secureHost: the name the server's certificate must carry, when it differs from `host`.
    ///   - options: TLS trust, ACL, AUTH policy, observer.
    /// - Throws: `SMTPError`: `accessDenied` (ACL), `network`, `timeout`, `tls`, or the greeting's
    ///   4xx/5xx reply as `transientError`/`permanentError`.
    public static func openConnection(
        host: String, port: Int = 25, txTimeout: Double? = nil, secureConnectionBeforeSMTP: Bool = false,
        secureHost: String? = nil, options: Options = Options()
    ) throws(SMTPError) -> SMTPConnection {
        let context = SMTPError.Context(host: host, port: port, step: "open_connection")
        do throws(SMTPError) {
            if let acl = options.acl { try acl.check(host: host, port: port) }
            options.observer?(.connecting(host: host, port: port))
            let socket = try Socket.connect(host: host, port: port, timeout: options.connectTimeout ?? txTimeout)
            options.observer?(.connected(address: socket.remoteAddress))
            var stream: any ByteStream = socket
            var peer: [CertificateInfo] = []
            if secureConnectionBeforeSMTP {
                var tls = options.tls
                if let secureHost { tls.secureHost = secureHost }
                let tlsStream = try TLSStream.connect(
                    socket: socket, host: host, configuration: tls, deadline: Deadline(seconds: options.connectTimeout ?? txTimeout))
                stream = tlsStream
                peer = tlsStream.peerChain
                options.observer?(.tlsEstablished(version: tlsStream.protocolVersion, cipher: tlsStream.cipher, peer: peer))
            }
            let connection = SMTPConnection(
                host: host, port: port, txTimeout: txTimeout, options: options, socket: socket, stream: stream,
                isTLS: secureConnectionBeforeSMTP)
            connection.peerCertificates = peer
            connection.secureHost = secureHost
            try connection.readGreeting()
            return connection
        } catch {
            throw error.filling(context)
        }
    }

    /// Reads the server's greeting; anything but 220 closes the connection and is thrown.
    func readGreeting() throws(SMTPError) {
        greeting = try readReply(step: "open_connection")
        // The conversation closed on a greeting other than 220 and says why.
        if let refused = conversation.closingError {
            closeConnection()
            throw refused
        }
    }

    /// The name certificates are checked against after STARTTLS (UTL_SMTP's `secure_host`).
    public internal(set) var secureHost: String?

    // MARK: - State

    /// Where the conversation stands.
    public var phase: Conversation.Phase { conversation.phase }
    /// What the latest EHLO advertised; nil before EHLO and after STARTTLS.
    public var capabilities: Capabilities? { conversation.capabilities }
    /// True when the connection is encrypted.
    public var isTLS: Bool { conversation.isTLS }
    /// True after AUTH succeeded.
    public var isAuthenticated: Bool { conversation.isAuthenticated }
    /// The most recent reply (a reply to AUTH without any echo of the credential).
    public var lastReply: Reply? { conversation.lastReply }
    /// True after an AUTH sent with `command` was answered 334: the next `command` line is the
    /// answer, a secret (shown and recorded as `{secret}`).
    public var isAwaitingRawAuthResponse: Bool { conversation.isAwaitingRawAuthResponse }
    /// True once the connection is closed (QUIT, 421, close_connection, or lost).
    public var isClosed: Bool { conversation.phase == .closed }

    // MARK: - Moving bytes

    func emit(_ event: ConversationEvent) { options.observer?(event) }

    func context(_ step: String) -> SMTPError.Context { SMTPError.Context(host: host, port: port, step: step) }

    /// Sends commands (several at once when pipelined) without reading replies.
    func write(_ commands: [Command], step: String) throws(SMTPError) {
        try writeCommands(commands, prefix: [], step: step)
    }

    /// Sends `prefix` (e.g. the end of a message) and the commands in one write.
    func writeCommands(_ commands: [Command], prefix: [UInt8], step: String) throws(SMTPError) {
        try write(rendered(commands, prefix: prefix, step: step), step: step)
    }

    /// PendingWrite is a group of commands rendered on a copy of the conversation, to be written
    /// with `write(_:step:)`: the conversation moves on only when it is written.
    struct PendingWrite {
        var conversation: Conversation
        var bytes: [UInt8]
        var lines: [String]
    }

    /// Renders `prefix` and the commands as one group on a copy of the conversation: a command
    /// the conversation refuses (a line break in an address, a rule) leaves it as it was, with
    /// nothing due, so a pipelined group is written whole or not at all.
    func rendered(_ commands: [Command], prefix: [UInt8], step: String) throws(SMTPError) -> PendingWrite {
        // One buffer for the prefix (a message's end) and the commands: appending to a copy of
        // the prefix grew it twice per message.
        var pending = PendingWrite(conversation: conversation, bytes: [], lines: [])
        pending.bytes.reserveCapacity(prefix.count + 80 * commands.count)
        pending.bytes.append(contentsOf: prefix)
        do throws(SMTPError) {
            for command in commands {
                // Redacted lines are only made for someone who will read them (before `send`:
                // whether a raw line answers an AUTH challenge is the state before it).
                if options.observer != nil { pending.lines.append(try pending.conversation.redactedLine(for: command)) }
                pending.bytes += try pending.conversation.send(command)
            }
        } catch {
            // A rule that closes the conversation (STARTTLS not offered) closes the socket too.
            if pending.conversation.phase == .closed {
                conversation = pending.conversation
                lose()
            }
            throw error.filling(context(step))
        }
        return pending
    }

    /// Writes a rendered group; the conversation takes the state it was rendered on.
    func write(_ pending: PendingWrite, step: String) throws(SMTPError) {
        conversation = pending.conversation
        for line in pending.lines { emit(.sent(line)) }
        try writeBytes(pending.bytes, step: step)
    }

    func writeBytes(_ bytes: [UInt8], step: String) throws(SMTPError) {
        do throws(SMTPError) {
            try stream.write(bytes, deadline: Deadline(seconds: txTimeout))
        } catch {
            if error.code == .connectionClosed { lose() }
            throw error.filling(context(step))
        }
    }

    /// Reads until the next reply is complete. `txTimeout` covers the whole reply, not each read:
    /// a server that drips one byte a second cannot hold the connection past it.
    func readReply(step: String) throws(SMTPError) -> Reply {
        let deadline = Deadline(seconds: txTimeout)
        do throws(SMTPError) {
            while true {
                if let reply = try conversation.nextReply() {
                    emit(.received(reply))
                    if reply.code == 421 { lose() }
                    return reply
                }
                let chunk = try stream.read(max: 16384, deadline: deadline)
                if chunk.isEmpty {
                    lose()
                    throw SMTPError(.connectionClosed(
                        conversation.outstandingSteps.isEmpty ? "the server closed the connection"
                            : "the server closed the connection before its reply was complete"))
                }
                conversation.receive(chunk)
            }
        } catch {
            if error.code == .malformedReply || error.code == .lineTooLong { lose() }
            throw error.filling(context(step))
        }
    }

    /// Waits for the reply still outstanding after a timeout (e.g. with `txTimeout` 0).
    @discardableResult
    public func readReply() throws(SMTPError) -> Reply {
        guard !conversation.outstandingSteps.isEmpty else {
            throw SMTPError(.invalidOperation("no reply is outstanding"), context: context("read_reply"))
        }
        return try readReply(step: "read_reply")
    }

    /// Sends one command, reads its reply, and raises 4xx/5xx when `raising`.
    func exchange(_ command: Command, step: String, raising: Bool) throws(SMTPError) -> Reply {
        try write([command], step: step)
        let reply = try readReply(step: step)
        if raising, let refused = SMTPError(refusing: reply, context: context(step)) { throw refused }
        return reply
    }

    /// The connection is gone: close the socket and the conversation.
    func lose() {
        let wasOpen = conversation.phase != .closed || socket.fd >= 0
        conversation.close()
        stream.close()
        if wasOpen { emit(.closed) }
    }
}
