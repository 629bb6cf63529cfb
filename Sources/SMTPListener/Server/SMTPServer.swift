import SMTPConversation
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SMTPServer runs `ServerConversation` over real sockets: it listens, bounds connections in
/// total and per client address, gives each session a thread, TLS (STARTTLS or implicit) and
/// its time limits, and asks an `SMTPServerHandler` whatever the conversation cannot decide.
///
/// A session's reply to the final dot is written only after `handler.message` returned, so a
/// handler that stores before it returns never has a 250 out for a message it does not hold; a
/// client that goes away before the final dot leaves nothing behind.
public final class SMTPServer: @unchecked Sendable {
    /// The options it runs with.
    public let options: SMTPServerOptions
    /// The bound endpoints, `host:port`, in the order of `options.listen` (ports chosen by the
    /// system where 0 was asked for).
    public let endpoints: [String]

    private let handler: SMTPServerHandler
    private let listeners: [Listener]
    private let tlsContext: TLSContext?
    private let state = DispatchQueue(label: "SMTPServer.state")
    private var open = 0
    private var perAddress: [String: Int] = [:]
    private var authFailures: [String: Int] = [:]
    private var sessions = 0
    private var stopping = false
    private let finished = DispatchGroup()

    /// Binds every listener (nothing is accepted before `start`).
    /// - Throws: `SMTPError` for an address that cannot be bound or a certificate/key that
    ///   cannot be used; `invalidArgument` for a listener where AUTH could never be offered.
    public init(options: SMTPServerOptions, handler: SMTPServerHandler) throws(SMTPError) {
        self.options = options
        self.handler = handler
        if let certificate = options.tlsCertificatePEM, let key = options.tlsKeyPEM {
            tlsContext = try TLSContext.server(certificatePEM: certificate, keyPEM: key)
        } else {
            tlsContext = nil
        }
        if options.implicitTLS && tlsContext == nil {
            throw SMTPError(.invalidArgument(field: "implicit TLS", reason: "needs a certificate and key"))
        }
        var listeners: [Listener] = []
        for endpoint in options.listen {
            let port = try endpoint.port(in: 0...65535) ?? 25
            listeners.append(try Listener(host: endpoint.host, port: port))
        }
        self.listeners = listeners
        endpoints = listeners.map { $0.host.contains(":") ? "[\($0.host)]:\($0.port)" : "\($0.host):\($0.port)" }
        if !options.conversation.authMechanisms.isEmpty && tlsContext == nil {
            for listener in listeners where !(options.allowCleartextAuthOnLoopback && SMTPServerOptions.isLoopback(listener.host)) {
                throw SMTPError(.invalidArgument(
                    field: "listener \(listener.host):\(listener.port)",
                    reason: "AUTH needs TLS here and there is no certificate: give one, or on loopback allow cleartext AUTH"))
            }
        }
    }

    /// The conversation settings for a session on `listener`: AUTH without TLS only on a
    /// loopback listener when allowed; STARTTLS where there is a certificate; MAIL without AUTH
    /// only for a trusted client (the handler still checks its user's rules).
    func configuration(for listener: Listener, trusted: Bool = false) -> ServerConfiguration {
        var configuration = options.conversation
        configuration.startTLSAvailable = tlsContext != nil && !options.implicitTLS
        configuration.authRequiresTLS = !(options.allowCleartextAuthOnLoopback && SMTPServerOptions.isLoopback(listener.host))
        if trusted { configuration.requireAuth = false }
        return configuration
    }

    /// Starts accepting on every listener, each on a thread of its own.
    public func start() {
        for index in listeners.indices {
            finished.enter()
            let started = spawnThread { [self] in
                acceptLoop(listeners[index], endpoint: endpoints[index])
                finished.leave()
            }
            if !started { finished.leave() }
        }
    }

    /// Stops accepting; sessions in progress run to their end (bounded by their time limits).
    public func stop() {
        state.sync { stopping = true }
    }

    /// Waits until every listener has stopped accepting (after `stop`).
    public func wait() { finished.wait() }

    /// Sessions open now.
    public var openSessions: Int { state.sync { open } }

    /// Hands a socket to the thread that serves it (one owner at a time).
    private final class Handoff: @unchecked Sendable {
        let socket: Socket
        let listener: Listener
        init(_ socket: Socket, _ listener: Listener) {
            self.socket = socket
            self.listener = listener
        }
    }

    private func acceptLoop(_ listener: Listener, endpoint: String) {
        while !state.sync(execute: { stopping }) {
            let socket: Socket
            do throws(SMTPError) {
                socket = try listener.accept(deadline: Deadline(seconds: 0.25))
            } catch {
                if error.code == .timeout { continue }
                // EMFILE and friends: back off a little instead of spinning.
                usleep(50_000)
                continue
            }
            let address = socket.remoteAddress
            let admitted: (Bool, Int, String) = state.sync {
                if open >= options.maxConnections { return (false, 0, "Too many connections") }
                if perAddress[address, default: 0] >= options.maxConnectionsPerAddress {
                    return (false, 0, "Too many connections from \(address)")
                }
                open += 1
                perAddress[address, default: 0] += 1
                sessions += 1
                return (true, sessions, "")
            }
            guard admitted.0 else {
                // Refused before any thread is spent on it.
                try? socket.write(Reply(421, "4.7.0 \(options.conversation.hostname) \(admitted.2), try again later").wireBytes,
                                  deadline: Deadline(seconds: 1))
                socket.close()
                continue
            }
            let number = admitted.1
            let handoff = Handoff(socket, listener)
            let started = spawnThread { [self] in
                serve(handoff.socket, listener: handoff.listener, endpoint: endpoint, number: number)
                release(address)
            }
            if !started {
                try? socket.write(Reply(421, "4.3.2 \(options.conversation.hostname) cannot start a session now").wireBytes,
                                  deadline: Deadline(seconds: 1))
                socket.close()
                release(address)
            }
        }
        listener.close()
    }

    private func release(_ address: String) {
        state.sync {
            open -= 1
            perAddress[address, default: 1] -= 1
            if perAddress[address] == 0 { perAddress[address] = nil }
        }
    }

    /// The wait before answering the next failed AUTH from `address`, counting this failure.
    private func authFailureWait(_ address: String) -> Double {
        state.sync {
            let failures = authFailures[address, default: 0]
            authFailures[address] = failures + 1
            if authFailures.count > 10_000 { authFailures = [address: failures + 1] }
            return min(options.authFailureDelay * Double(1 << min(failures, 20)), options.maxAuthFailureDelay)
        }
    }

    private func serve(_ socket: Socket, listener: Listener, endpoint: String, number: Int) {
        let started = Deadline.now()
        var session = SMTPServerSession(
            number: number, clientAddress: socket.remoteAddress, listener: endpoint, isTLS: false, clientDomain: nil,
            authenticatedUser: nil, trustedUser: options.trustedUser(for: socket.remoteAddress),
            hostname: options.conversation.hostname)
        var stream: ByteStream = socket
        var accepted = 0
        var discarded = 0
        var ending = "client closed"
        var transcript: [ServerConversation.TranscriptLine] = []
        var conversation = ServerConversation(
            configuration: configuration(for: listener, trusted: session.trustedUser != nil), isTLS: options.implicitTLS,
            challenge: "<\(number).\(Int(started * 1000))@\(options.conversation.hostname)>", recording: options.recording)
        let sessionEnd = started + options.sessionTimeout
        func flush() throws(SMTPError) {
            let output = conversation.takeOutput()
            if !output.isEmpty { try stream.write(output, deadline: Deadline(seconds: options.idleTimeout)) }
        }
        defer {
            stream.close()
            session.isTLS = conversation.isTLS
            session.authenticatedUser = conversation.authenticatedUser ?? session.authenticatedUser
            if options.recording { transcript += conversation.takeTranscript() }
            handler.sessionEnded(SMTPServerSummary(
                session: session, accepted: accepted, ending: ending, seconds: Deadline.now() - started,
                discardedAfterSTARTTLS: discarded, transcript: transcript))
        }
        do throws(SMTPError) {
            if options.implicitTLS, let tlsContext {
                stream = try TLSStream.accept(socket: socket, context: tlsContext, deadline: Deadline(seconds: options.idleTimeout))
                session.isTLS = true
            }
            sessionLoop: while true {
                try flush()
                if conversation.phase == .closed { break }
                let left = min(options.idleTimeout, sessionEnd - Deadline.now())
                let bytes: [UInt8]
                do throws(SMTPError) {
                    guard left > 0 else { throw SMTPError(.timeout(options.sessionTimeout)) }
                    bytes = try stream.read(max: 16384, deadline: Deadline(seconds: left))
                } catch {
                    guard error.code == .timeout else { throw error }
                    conversation.timeOut()
                    ending = "timeout"
                    try? flush()
                    break sessionLoop
                }
                if bytes.isEmpty {
                    conversation.connectionLost()
                    ending = conversation.isReceivingData ? "client closed before the final dot" : "client closed"
                    break
                }
                conversation.receive(bytes)
                while let event = try conversation.nextEvent() {
                    session.isTLS = conversation.isTLS
                    session.clientDomain = conversation.clientDomain
                    session.authenticatedUser = conversation.authenticatedUser
                    switch event {
                    case .authenticate(let attempt):
                        if let refusal = handler.authenticate(attempt, session: session) {
                            // A growing wait before each failure is answered slows guessing down.
                            let wait = authFailureWait(session.clientAddress)
                            if wait > 0 { usleep(UInt32(min(wait, 60) * 1_000_000)) }
                            try conversation.refuse(refusal.isFailure ? refusal : Reply(535, "5.7.8 Authentication credentials invalid"))
                        } else {
                            state.sync { authFailures[session.clientAddress] = nil }
                            try conversation.accept()
                            session.authenticatedUser = conversation.authenticatedUser
                        }
                    case .mailFrom(let request):
                        if let refusal = handler.mailFrom(request, session: session), refusal.isFailure {
                            try conversation.refuse(refusal)
                        } else {
                            try conversation.accept()
                        }
                    case .recipient(let address):
                        if let refusal = handler.recipient(address, session: session), refusal.isFailure {
                            try conversation.refuse(refusal)
                        } else {
                            try conversation.accept()
                        }
                    case .message(let message):
                        let reply = handler.message(message, session: session)
                        if reply.isPositiveCompletion {
                            try conversation.accept(reply)
                            accepted += 1
                        } else {
                            try conversation.refuse(reply.isFailure ? reply : Reply(451, "4.3.0 Temporary failure"))
                        }
                    case .startTLS(let thrownAway):
                        discarded += thrownAway
                        try flush()
                        guard let tlsContext else { throw SMTPError(.tls("STARTTLS was offered without a certificate")) }
                        if options.recording { transcript += conversation.takeTranscript() }
                        stream = try TLSStream.accept(socket: socket, context: tlsContext, deadline: Deadline(seconds: options.idleTimeout))
                        try conversation.tlsEstablished()
                        session.isTLS = true
                    case .close:
                        let output = conversation.takeOutput()
                        ending = Self.ending(lastOutput: output)
                        try? stream.write(output, deadline: Deadline(seconds: 5))
                        break sessionLoop
                    }
                }
                if options.recording { transcript += conversation.takeTranscript() }
            }
        } catch {
            conversation.connectionLost()
            ending = "error: \(error.description)"
        }
    }

    /// `quit` after a 221, else the closing reply (a 421: too many errors or AUTH failures).
    static func ending(lastOutput: [UInt8]) -> String {
        let lines = String(decoding: lastOutput, as: UTF8.self).split(separator: "\r\n")
        guard let last = lines.last else { return "closed" }
        return last.hasPrefix("221") ? "quit" : "closed: \(last)"
    }
}

/// Runs `body` on a new detached thread with a modest stack; false when the system refused.
func spawnThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    pthread_attr_setstacksize(&attributes, 1 << 20)
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, { raw in
        guard let raw else { return nil }
        Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
        return nil
    }, box)
    if result != 0 {
        Unmanaged<Box>.fromOpaque(box).release()
        return false
    }
    return true
}
