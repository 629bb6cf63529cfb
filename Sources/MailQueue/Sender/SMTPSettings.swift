import SMTPConversation

/// SMTPSettings say where and how the sender delivers: server, TLS, authentication, and
/// courtesy limits (connections, rate). `dump` and debuggers show neither the password nor the
/// wallet's password.
public struct SMTPSettings: Sendable, CustomReflectable {
    /// How TLS is used.
    public enum Security: String, Sendable, Codable {
        /// Plain SMTP (a local relay or a test sink).
        case none
        /// STARTTLS after EHLO; the sender refuses to go on without it (fails closed).
        case starttls
        /// TLS before the greeting (port 465).
        case implicit
    }

    /// Where the password or token comes from. Never a literal in argv: read at start-up.
    public enum Secret: Sendable {
        /// A password (already read from the environment, a file or a prompt); hidden from
        /// `description` and `dump`.
        case password(SecretText)
        /// A named credential in the wallet (`smtp-wallet credential add`), resolved when the
        /// sender starts. The seam for OAuth2/XOAUTH2 credentials.
        case walletAlias(String)
    }

    /// The server's host name.
    public var host: String
    /// The port.
    public var port: Int
    /// TLS use.
    public var security: Security
    /// A PEM file of trusted CAs; nil uses the wallet or the system store.
    public var caFile: String?
    /// A PEM file of CAs trusted for the OAuth2 token endpoint (a wallet credential's
    /// authority); nil uses the system store.
    public var tokenCAFile: String?
    /// A TrustStore wallet (`file:DIR`) for trust and credentials.
    public var walletPath: String?
    /// The wallet's password (empty for auto-login).
    public var walletPassword: String?
    /// The user name for AUTH; nil: no AUTH.
    public var username: String?
    /// The secret for AUTH.
    public var secret: Secret?
    /// The SASL mechanisms allowed, in order of preference.
    public var authSchemes: [String]
    /// The name sent in EHLO.
    public var heloName: String
    /// Seconds to wait for each read or write.
    public var timeout: Double
    /// Parallel connections (one worker each).
    public var connections: Int
    /// Messages per minute across all connections; nil: no limit.
    public var messagesPerMinute: Int?
    /// Messages per connection before it is closed and opened again; nil: no limit.
    public var messagesPerConnection: Int?
    /// Sees every connection's conversation (commands, replies, content; secrets redacted),
    /// from every worker's thread: a trace or a transcript of what the sender said.
    public var observer: ConversationObserver?

    /// Creates settings for a plain local server.
    public init(host: String, port: Int = 25, security: Security = .none, caFile: String? = nil,
                walletPath: String? = nil, walletPassword: String? = nil, username: String? = nil,
                secret: Secret? = nil, authSchemes: [String] = ["PLAIN", "LOGIN"], heloName: String = "localhost",
                timeout: Double = 60, connections: Int = 1, messagesPerMinute: Int? = nil,
                messagesPerConnection: Int? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.caFile = caFile
        self.walletPath = walletPath
        self.walletPassword = walletPassword
        self.username = username
        self.secret = secret
        self.authSchemes = authSchemes
        self.heloName = heloName
        self.timeout = timeout
        self.connections = connections
        self.messagesPerMinute = messagesPerMinute
        self.messagesPerConnection = messagesPerConnection
    }

    /// Office365 (smtp.office365.com): port 587, STARTTLS required, AUTH LOGIN or XOAUTH2,
    /// 30 messages a minute and 3 connections per mailbox (Microsoft's sending limits).
    public static func office365(username: String, secret: Secret, heloName: String = "localhost") -> SMTPSettings {
        SMTPSettings(host: "smtp.office365.com", port: 587, security: .starttls, username: username, secret: secret,
                     authSchemes: ["XOAUTH2", "LOGIN"], heloName: heloName, connections: UpstreamLimits.office365.connections,
                     messagesPerMinute: UpstreamLimits.office365.messagesPerMinute)
    }

    /// Every setting, with the wallet password shown as `<redacted>` (the SMTP password is a
    /// `SecretText`, which hides itself).
    public var customMirror: Mirror {
        Mirror(self, children: [
            "host": host, "port": port, "security": security, "caFile": caFile as Any, "walletPath": walletPath as Any,
            "walletPassword": walletPassword == nil ? "nil" : "<redacted>", "username": username as Any,
            "secret": secret as Any, "authSchemes": authSchemes, "heloName": heloName, "timeout": timeout,
            "connections": connections, "messagesPerMinute": messagesPerMinute as Any,
            "messagesPerConnection": messagesPerConnection as Any,
        ], displayStyle: .struct)
    }
}
