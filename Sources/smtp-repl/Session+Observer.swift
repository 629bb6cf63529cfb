import SMTPConversation

extension Session {
    /// The observer a connection opened by this session reports to. A connection calls it on the
    /// thread that made the call, which is the REPL's one thread, so the session it reaches is
    /// never used from two threads although `ConversationObserver` is `@Sendable`.
    var connectionObserver: ConversationObserver {
        let reference = SessionReference(session: self)
        return { event in reference.session?.observe(event) }
    }
}

/// A weak reference to the session, handed to a connection's observer (see `connectionObserver`).
private struct SessionReference: @unchecked Sendable {
    weak var session: Session?
}
