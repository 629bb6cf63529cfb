import SMTPConversation
/// Deviation is where a client left the transcript.
public struct Deviation: Sendable, Equatable, CustomStringConvertible {
    /// The transcript's name (file).
    public var transcript: String
    /// The transcript line that was expected (0 when the step was inferred).
    public var line: Int
    /// The transcript line expected, as written in the transcript.
    public var expected: String
    /// What the client did instead: the line it sent (credentials redacted), or nil when it closed.
    public var actual: String?
    /// A short explanation.
    public var reason: String

    /// `file:12: expected "> RCPT TO:<b@example.com>", the client sent "RCPT TO:<c@example.com>": a
    /// different command`, or `file:14: expected "> .", the client closed the connection`.
    public var description: String {
        guard let actual else { return "\(transcript):\(line): expected \"\(expected)\", \(reason)" }
        return "\(transcript):\(line): expected \"\(expected)\", the client sent \"\(actual)\": \(reason)"
    }
}

/// ServeOutcome is how one client connection followed the transcript.
public struct ServeOutcome: Sendable, Equatable {
    /// True when the client went through the whole transcript.
    public var followed: Bool { deviation == nil && error == nil }
    /// Where the client left the transcript, if it did.
    public var deviation: Deviation?
    /// A failure on the server's side (TLS, network), if any.
    public var error: String?
    /// The client's address.
    public var client: String
    /// The lines the client sent, credentials redacted.
    public var received: [String]
    /// The conversation as it happened (both sides, credentials redacted).
    public var transcript = Transcript()
}
