/// ConversationEvent is what a connection reports to its observer: the REPL prints these,
/// the transcript recorder writes them. Secrets are already redacted when an event is made.
public enum ConversationEvent: Sendable {
    /// About to resolve and connect.
    case connecting(host: String, port: Int)
    /// TCP connected to this numeric address.
    case connected(address: String)
    /// A command line sent, without CRLF, with credentials replaced by `{secret}`.
    case sent(String)
    /// Message body bytes as sent (dot-stuffed, CRLF line ends, including the final `.` line).
    case sentData([UInt8])
    /// A reply received.
    case received(Reply)
    /// TLS established (implicit TLS or after STARTTLS).
    case tlsEstablished(version: String, cipher: String, peer: [CertificateInfo])
    /// A remark for people, e.g. why a step was skipped.
    case note(String)
    /// The connection was closed.
    case closed
}

/// ConversationObserver receives every event of a connection, in order, on the caller's thread.
public typealias ConversationObserver = @Sendable (ConversationEvent) -> Void
