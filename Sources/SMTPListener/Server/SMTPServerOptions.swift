import SMTPConversation
/// SMTPServerOptions are where `SMTPServer` listens, with what TLS, and its bounds in time and
/// connections.
public struct SMTPServerOptions: Sendable {
    /// Endpoints to listen on (numeric addresses).
    public var listen: [HostPort]
    /// The conversation's offer and limits; `authRequiresTLS` is decided per listener.
    public var conversation: ServerConfiguration
    /// The certificate chain presented for STARTTLS and implicit TLS, PEM text.
    public var tlsCertificatePEM: String?
    /// Its private key, PEM text.
    public var tlsKeyPEM: String?
    /// TLS from the first byte (port 465) instead of STARTTLS.
    public var implicitTLS: Bool
    /// Offer AUTH without TLS on loopback listeners (a client on the same host, e.g. UTL_SMTP).
    /// Never on any other listener.
    public var allowCleartextAuthOnLoopback: Bool
    /// Sessions open at once, in total (421 4.7.0 beyond).
    public var maxConnections: Int
    /// Sessions open at once from one client address (421 4.7.0 beyond).
    public var maxConnectionsPerAddress: Int
    /// Seconds a client may stay silent (421 4.4.2 after).
    public var idleTimeout: Double
    /// Seconds a session may last in all (421 4.4.2 after).
    public var sessionTimeout: Double
    /// Seconds the reply to a failed AUTH waits, doubled for each further failure from the same
    /// address (up to `maxAuthFailureDelay`), forgotten after a success.
    public var authFailureDelay: Double
    /// The longest wait after a failed AUTH.
    public var maxAuthFailureDelay: Double
    /// Keep each session's transcript for `SMTPServerHandler.sessionEnded`.
    public var recording: Bool
    /// Networks whose clients may send MAIL without AUTH, acting as a named user
    /// (`SMTPServerSession.trustedUser`); the first entry that holds the client's address counts.
    /// Empty (the default): every client must authenticate.
    public var trustedClients: [TrustedClient]

    /// Creates options.
    public init(
        listen: [HostPort], conversation: ServerConfiguration, tlsCertificatePEM: String? = nil, tlsKeyPEM: String? = nil,
        implicitTLS: Bool = false, allowCleartextAuthOnLoopback: Bool = false, maxConnections: Int = 100,
        maxConnectionsPerAddress: Int = 10, idleTimeout: Double = 300, sessionTimeout: Double = 1800,
        authFailureDelay: Double = 1, maxAuthFailureDelay: Double = 16, recording: Bool = false,
        trustedClients: [TrustedClient] = []
    ) {
        self.listen = listen
        self.conversation = conversation
        self.tlsCertificatePEM = tlsCertificatePEM
        self.tlsKeyPEM = tlsKeyPEM
        self.implicitTLS = implicitTLS
        self.allowCleartextAuthOnLoopback = allowCleartextAuthOnLoopback
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.idleTimeout = idleTimeout
        self.sessionTimeout = sessionTimeout
        self.authFailureDelay = authFailureDelay
        self.maxAuthFailureDelay = maxAuthFailureDelay
        self.recording = recording
        self.trustedClients = trustedClients
    }

    /// The user a client at `address` acts as without AUTH, if its address is trusted.
    func trustedUser(for address: String) -> String? {
        trustedClients.first { $0.network.contains(address) }?.user
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}
