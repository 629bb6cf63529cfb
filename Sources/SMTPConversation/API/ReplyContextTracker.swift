/// ReplyContextTracker follows a conversation's events to know, at each reply, what the client
/// had done: TLS or not, authenticated or not, the command answered and the AUTH mechanism.
/// The REPL's printer feeds it every event and explains refusals in that context.
public struct ReplyContextTracker: Sendable {
    /// What the client had done when the last reply arrived.
    public private(set) var context = ReplyContext(inTLS: false, authenticated: false)

    /// Creates a tracker for a new plaintext connection.
    public init() {}

    static let verbs: Set<String> = ["HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "NOOP", "QUIT", "HELP"]

    /// Takes one event into account.
    public mutating func observe(_ event: ConversationEvent) {
        switch event {
        case .connecting(let host, _):
            context = ReplyContext(inTLS: false, authenticated: false, host: host)
        case .sent(let line):
            // AUTH continuation lines are `{secret}` and not verbs: the command stays AUTH.
            let words = line.split(separator: " ", maxSplits: 2).map { String($0).uppercased() }
            guard let verb = words.first, Self.verbs.contains(verb) else { return }
            context.command = verb
            if verb == "AUTH" { context.mechanism = words.count > 1 ? words[1] : nil }
        case .received(let reply):
            if context.command == "AUTH" && reply.code == 235 { context.authenticated = true }
        case .tlsEstablished:
            context.inTLS = true
            context.authenticated = false
        case .closed:
            context = ReplyContext(inTLS: false, authenticated: false)
        case .connected, .sentData, .note:
            break
        }
    }
}
