import Dispatch

/// TranscriptServer plays the server side of a transcript to real clients over loopback
/// sockets, in plaintext, with STARTTLS, or with implicit TLS, and reports where each client
/// left the script. `smtp-repl serve`, the demo and the tests use it.
public final class TranscriptServer: @unchecked Sendable {
    /// The transcript played.
    public let transcript: Transcript
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
    private let done = DispatchSemaphore(value: 0)
    private var outcomes: [ServeOutcome] = []
    private var running = false

    /// Listens on `host:port` (port 0: any free port).
    /// - Parameters:
    ///   - tlsCertificatePath: PEM chain presented for STARTTLS and implicit TLS.
    ///   - tlsKeyPath: its private key.
    public init(
        transcript: Transcript, host: String = "127.0.0.1", port: Int = 0, mode: MatchMode = .meaning,
        tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil, readTimeout: Double? = 30
    ) throws(SMTPError) {
        self.transcript = transcript
        self.mode = mode
        self.readTimeout = readTimeout
        if let tlsCertificatePath {
            tlsContext = try TLSContext.server(certificatePath: tlsCertificatePath, keyPath: tlsKeyPath ?? tlsCertificatePath)
        } else {
            tlsContext = nil
        }
        if transcript.usesTLS && tlsContext == nil {
            throw SMTPError(.tls("\(transcript.name) has a TLS step; the server needs a certificate and key"))
        }
        listener = try Listener(host: host, port: port)
        self.host = host
        self.port = listener.port
    }

    /// Accepts one client and plays the transcript to it; returns how it went.
    /// - Parameter acceptTimeout: seconds to wait for the client; nil forever.
    public func serveOne(acceptTimeout: Double? = nil) throws(SMTPError) -> ServeOutcome {
        let socket = try listener.accept(deadline: Deadline(seconds: acceptTimeout))
        var session = TranscriptSession(
            transcript: transcript, mode: mode, tlsContext: tlsContext, readTimeout: readTimeout, socket: socket)
        return session.play()
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
                outcomes.append(outcome)
                done.signal()
            }
        }
    }

    /// Waits for the next outcome of `start`; nil after `timeout` seconds.
    public func waitForOutcome(timeout: Double = 60) -> ServeOutcome? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return queue.sync { outcomes.removeFirst() }
    }

    /// Stops listening.
    public func stop() { listener.close() }

    deinit { listener.close() }
}
