/// ServerConfiguration is what a `ServerConversation` offers and where it draws its limits.
///
/// Every number here bounds something a client controls; the defaults are those of a
/// submission server in front of Office365 (35 MB messages, 500 recipients).
public struct ServerConfiguration: Sendable, Equatable {
    /// The name the server gives in its greeting and replies.
    public var hostname: String
    /// The largest message accepted, in octets after dot-unstuffing (advertised as SIZE).
    public var maxMessageSize: Int
    /// The most recipients accepted in one transaction (452 4.5.3 beyond).
    public var maxRecipients: Int
    /// The longest command line, without CRLF (500 5.5.2 beyond). RFC 5321 asks for 512 at
    /// least; AUTH lines with an initial response need more.
    public var maxCommandLineLength: Int
    /// The longest line of message content, without CRLF (the message is refused beyond).
    public var maxDataLineLength: Int
    /// Commands that fail (unknown, out of sequence, bad syntax) before the server hangs up.
    public var maxErrors: Int
    /// Failed AUTH attempts in one session before the server hangs up.
    public var maxAuthFailures: Int
    /// True when STARTTLS may be offered (the host has a certificate).
    public var startTLSAvailable: Bool
    /// The AUTH mechanisms offered, upper-case (PLAIN, LOGIN, CRAM-MD5); empty offers none.
    public var authMechanisms: [String]
    /// True when AUTH is offered only once TLS is up (538 5.7.11 before).
    public var authRequiresTLS: Bool
    /// True when MAIL is refused (530 5.7.0) before a successful AUTH.
    public var requireAuth: Bool

    /// Creates a configuration.
    public init(
        hostname: String,
        maxMessageSize: Int = 35 * 1024 * 1024,
        maxRecipients: Int = 500,
        maxCommandLineLength: Int = 2048,
        maxDataLineLength: Int = 998,
        maxErrors: Int = 20,
        maxAuthFailures: Int = 3,
        startTLSAvailable: Bool = false,
        authMechanisms: [String] = ["PLAIN", "LOGIN"],
        authRequiresTLS: Bool = true,
        requireAuth: Bool = true
    ) {
        self.hostname = hostname
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.maxCommandLineLength = maxCommandLineLength
        self.maxDataLineLength = maxDataLineLength
        self.maxErrors = maxErrors
        self.maxAuthFailures = maxAuthFailures
        self.startTLSAvailable = startTLSAvailable
        self.authMechanisms = authMechanisms.map { $0.uppercased() }
        self.authRequiresTLS = authRequiresTLS
        self.requireAuth = requireAuth
    }
}
