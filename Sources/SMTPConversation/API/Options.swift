extension SMTPConnection {
    /// Options are the settings of a connection beyond UTL_SMTP's own parameters.
    /// The defaults are the safe ones.
    public struct Options: Sendable {
        /// How the server's certificate is verified (STARTTLS and implicit TLS).
        public var tls: TLSConfiguration
        /// The hosts and ports this connection may reach; nil allows any.
        public var acl: NetworkACL?
        /// Allow PLAIN, LOGIN and XOAUTH2 over a connection without TLS. Off by default: the
        /// secret would cross the network readable by anyone on the path.
        public var allowCleartextAuth: Bool
        /// Seconds to wait for TCP connect and the TLS handshake; nil uses `txTimeout`.
        public var connectTimeout: Double?
        /// The longest reply line accepted, in octets.
        public var maxReplyLineLength: Int
        /// The most lines one reply may have (default 512); more is a malformed reply.
        public var maxReplyLines: Int
        /// The most octets one reply may have (default 64 KiB); more is a malformed reply.
        public var maxReplyBytes: Int
        /// Receives every event (the REPL's printer, the transcript recorder).
        public var observer: ConversationObserver?

        /// Creates options; every default is the safe one.
        public init(
            tls: TLSConfiguration = TLSConfiguration(), acl: NetworkACL? = nil, allowCleartextAuth: Bool = false,
            connectTimeout: Double? = nil, maxReplyLineLength: Int = 2048,
            maxReplyLines: Int = ReplyParser.defaultMaxLines, maxReplyBytes: Int = ReplyParser.defaultMaxBytes,
            observer: ConversationObserver? = nil
        ) {
            self.tls = tls
            self.acl = acl
            self.allowCleartextAuth = allowCleartextAuth
            self.connectTimeout = connectTimeout
            self.maxReplyLineLength = maxReplyLineLength
            self.maxReplyLines = maxReplyLines
            self.maxReplyBytes = maxReplyBytes
            self.observer = observer
        }
    }
}
