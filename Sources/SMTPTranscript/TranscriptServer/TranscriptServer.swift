import SMTPConversation
import SMTPListener
import Dispatch

/// TranscriptServer plays the server side of a transcript to real clients over loopback
/// sockets, in plaintext, with STARTTLS, or with implicit TLS, and reports where each client
/// left the script. `smtp-repl serve`, the demo and the tests use it.
public final class TranscriptServer: @unchecked Sendable {
    /// The transcript played (to the first connection, and to every one when `later` is empty).
    public let transcript: Transcript
    /// What the second, third, … connections are played, in turn; the last is played again to
    /// any connection after them. Empty: every connection gets `transcript`.
    public let later: [Transcript]
    /// How closely clients must follow it.
    public let mode: MatchMode
    /// The address listened on.
    public let host: String
    /// The port listened on (chosen by the system when 0 was asked for).
    public let port: Int
    /// Seconds to wait for each client line; nil forever.
    public let readTimeout: Double?

    private let listener: Listener
    private let tlsContext: TLSContext?
    private let queue = DispatchQueue(label: "TranscriptServer")
    /// Guards `outcomes` (not `queue`: that one is busy serving while a client waits for the
    /// outcome of an earlier connection).
    private let outcomesQueue = DispatchQueue(label: "TranscriptServer.outcomes")
    private let done = DispatchSemaphore(value: 0)
    private var outcomes: [ServeOutcome] = []
    private var running = false
    private let counting = DispatchSemaphore(value: 1)
    private var accepted = 0

    /// Listens on `host:port` (port 0: any free port).
    /// - Parameters:
    ///   - later: transcripts for the connections after the first, in turn (a server that
    ///     fails once, then answers, for example); empty: every connection gets `transcript`.
    ///   - tlsCertificatePath: PEM chain presented for STARTTLS and implicit TLS.
    ///   - tlsKeyPath: its private key.
    public init(
        transcript: Transcript, then later: [Transcript] = [], host: String = "127.0.0.1", port: Int = 0,
        mode: MatchMode = .meaning, tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil, readTimeout: Double? = 30
    ) throws(SMTPError) {
        self.transcript = transcript
        self.later = later
        self.mode = mode
        self.readTimeout = readTimeout
        if let tlsCertificatePath {
            tlsContext = try TLSContext.server(certificatePath: tlsCertificatePath, keyPath: tlsKeyPath ?? tlsCertificatePath)
        } else {
            tlsContext = nil
        }
        if tlsContext == nil, let needing = ([transcript] + later).first(where: \.usesTLS) {
            throw SMTPError(.tls("\(needing.name) has a TLS step; the server needs a certificate and key"))
        }
        listener = try Listener(host: host, port: port)
        self.host = host
        self.port = listener.port
    }

    /// Accepts one client and plays the transcript to it; returns how it went.
    /// - Parameter acceptTimeout: seconds to wait for the client; nil forever.
    public func serveOne(acceptTimeout: Double? = nil) throws(SMTPError) -> ServeOutcome {
        let socket = try listener.accept(deadline: Deadline(seconds: acceptTimeout))
        counting.wait()
        let index = accepted
        accepted += 1
        counting.signal()
        let script = transcript(forConnection: index)
        var session = TranscriptSession(
            transcript: script, mode: mode, tlsContext: tlsContext, readTimeout: readTimeout, socket: socket)
        return session.play()
    }

    /// The most clients `serveConcurrently` plays at once unless told otherwise.
    public static let defaultMaxClients = 100
    /// The largest `maxClients` accepted: each client has a thread of its own.
    public static let maxClientsLimit = 1000
    /// The message content one session records (bytes, 1 MiB): a client may send a message of
    /// any size, and the recording of it (the outcome's transcript, `serve --record`) keeps the
    /// first MiB and notes how much was left out, so memory stays bounded by clients × 1 MiB.
    public static let maxRecordedContent = 1 << 20

    /// Plays the transcript to clients concurrently, each on a thread of its own, at most
    /// `maxClients` at a time: one idle client (waiting out `readTimeout`) never delays the next.
    /// A client that arrives while `maxClients` are served is answered
    /// `421 4.3.2 Too many connections, try again later` and closed (what a busy server says),
    /// and `refused` is told its address.
    /// - Parameters:
    ///   - maxClients: clients served at once (1 to `maxClientsLimit`).
    ///   - clients: return once this many clients were accepted and played (nil: serve until
    ///     accepting fails).
    ///   - acceptTimeout: seconds to wait for each next client; nil forever.
    ///   - finished: called with the connection's index (0 for the first) and its outcome as each
    ///     client finishes, on that client's thread.
    ///   - refused: called with the address of a client turned away.
    /// - Throws: `SMTPError` when accepting fails (`timeout` after `acceptTimeout`); the
    ///   clients already accepted are played to their end first.
    public func serveConcurrently(
        maxClients: Int = defaultMaxClients, clients: Int? = nil, acceptTimeout: Double? = nil,
        finished: @escaping @Sendable (Int, ServeOutcome) -> Void, refused: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(SMTPError) {
        let limit = min(max(maxClients, 1), Self.maxClientsLimit)
        let active = ClientCount()
        let group = DispatchGroup()
        defer { group.wait() }
        while clients.map({ accepted < $0 }) ?? true {
            let socket = try listener.accept(deadline: Deadline(seconds: acceptTimeout))
            guard active.admit(limit: limit) else {
                let busy = "421 4.3.2 Too many connections (\(limit) served at once), try again later\r\n"
                try? socket.write(Array(busy.utf8), deadline: Deadline(seconds: 1))
                refused(socket.remoteAddress)
                socket.close()
                continue
            }
            counting.wait()
            let index = accepted
            accepted += 1
            counting.signal()
            let script = transcript(forConnection: index)
            group.enter()
            do throws(SMTPError) {
                try DetachedThread.start { [self] in
                    var session = TranscriptSession(
                        transcript: script, mode: mode, tlsContext: tlsContext, readTimeout: readTimeout, socket: socket)
                    finished(index, session.play())
                    active.leave()
                    group.leave()
                }
            } catch {
                socket.close()
                finished(index, ServeOutcome(error: error.description, client: socket.remoteAddress, received: []))
                active.leave()
                group.leave()
            }
        }
    }

    /// The transcript played to connection `index` (0 for the first).
    public func transcript(forConnection index: Int) -> Transcript {
        index == 0 || later.isEmpty ? transcript : later[min(index, later.count) - 1]
    }

    /// Serves `connections` clients one after the other on a background thread.
    public func start(connections: Int = 1, acceptTimeout: Double? = 60) {
        running = true
        queue.async { [self] in
            for _ in 0..<connections {
                let outcome: ServeOutcome
                do throws(SMTPError) {
                    outcome = try serveOne(acceptTimeout: acceptTimeout)
                } catch {
                    outcome = ServeOutcome(error: error.description, client: "", received: [])
                }
                outcomesQueue.sync { outcomes.append(outcome) }
                done.signal()
            }
        }
    }

    /// Waits for the next outcome of `start`; nil after `timeout` seconds.
    public func waitForOutcome(timeout: Double = 60) -> ServeOutcome? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return outcomesQueue.sync { outcomes.removeFirst() }
    }

    /// Stops listening.
    public func stop() { listener.close() }

    deinit { listener.close() }
}

/// ClientCount counts the clients being served, under a lock.
private final class ClientCount: @unchecked Sendable {
    private let lock = DispatchSemaphore(value: 1)
    private var active = 0

    /// Counts one more client unless `limit` are served already.
    func admit(limit: Int) -> Bool {
        lock.wait()
        defer { lock.signal() }
        guard active < limit else { return false }
        active += 1
        return true
    }

    /// A client finished.
    func leave() {
        lock.wait()
        active -= 1
        lock.signal()
    }
}
