import SMTPConversation
/// SMTPServerHandler decides what `SMTPServer` cannot: who a client is, which senders and
/// recipients it may use, and where a message goes. Every method is called on the session's own
/// thread, so an implementation shared by sessions must be safe to call concurrently.
public protocol SMTPServerHandler: AnyObject, Sendable {
    /// Checks an AUTH attempt. Returns nil to accept (235), or the refusal (535 5.7.8, or 454
    /// 4.7.0 when the check itself failed).
    func authenticate(_ attempt: SASLServerAttempt, session: SMTPServerSession) -> Reply?
    /// Checks `MAIL FROM` for the authenticated (or trusted) user. Returns nil to accept, or the refusal
    /// (550 5.7.1 for a sender the user may not use).
    func mailFrom(_ request: MailFromRequest, session: SMTPServerSession) -> Reply?
    /// Checks one `RCPT TO`. Returns nil to accept, or the refusal.
    func recipient(_ address: String, session: SMTPServerSession) -> Reply?
    /// Takes a whole message. Returns the reply to the final dot: a 2xx only once the message is
    /// safely stored (name where: `250 2.0.0 queued as ID`), else a 4xx/5xx (451 4.3.0 when the
    /// store failed).
    func message(_ message: ReceivedMessage, session: SMTPServerSession) -> Reply
    /// The session is over: log it, keep its transcript.
    func sessionEnded(_ summary: SMTPServerSummary)
}

/// SMTPServerSession is what a handler knows about the session asking.
public struct SMTPServerSession: Sendable {
    /// A number unique within the server's run.
    public var number: Int
    /// The client's numeric address.
    public var clientAddress: String
    /// The listener it came in on, `host:port`.
    public var listener: String
    /// True once TLS is up.
    public var isTLS: Bool
    /// The domain given in HELO/EHLO.
    public var clientDomain: String?
    /// The user accepted by AUTH, if any.
    public var authenticatedUser: String?
    /// The user a trusted client acts as without AUTH (`SMTPServerOptions.trustedClients`), if
    /// its address is trusted; `authenticatedUser` wins when the client authenticates anyway.
    public var trustedUser: String? = nil
    /// The server's name (greeting, Received: header).
    public var hostname: String
}

/// SMTPServerSummary is one finished session, for the log line and the transcript.
public struct SMTPServerSummary: Sendable {
    /// The session as it ended.
    public var session: SMTPServerSession
    /// Messages accepted (2xx to the final dot).
    public var accepted: Int
    /// How it ended: `quit`, `timeout`, `client closed`, `too many errors`, an error text.
    public var ending: String
    /// Seconds from accept to close.
    public var seconds: Double
    /// Plaintext thrown away after STARTTLS (an injection attempt when not 0).
    public var discardedAfterSTARTTLS: Int
    /// The session's lines with AUTH secrets redacted; empty unless the server records.
    public var transcript: [ServerConversation.TranscriptLine]
}
