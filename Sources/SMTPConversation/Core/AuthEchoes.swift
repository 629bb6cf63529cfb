/// AuthEchoes remembers what the client sent in one AUTH exchange and removes any echo of it
/// from the server's replies to that exchange.
///
/// A hostile or careless server may quote the credential back (`535 5.7.8 bad password
/// TopSecretPW`, or the base64 line it received). Replies are shown on the console, written to
/// transcripts and kept as a queued request's last error, so every reply to AUTH passes here
/// first (`Conversation.nextReply`). What is removed: each response line sent (the base64
/// forms, with and without `=` padding), and the parts it decodes to (PLAIN's user name and
/// password, LOGIN's answers, XOAUTH2's user and bearer token). Decoded parts shorter than
/// `minimumLength` are left alone: replacing every `a` of a reply would hide the reply, not a
/// secret. The user name is hidden only here, in the replies to AUTH; later replies lose only
/// what carried the secret (`SentSecrets`).
public struct AuthEchoes: Sendable, Equatable {
    /// Decoded parts shorter than this are not searched for.
    public static let minimumLength = SecretPatterns.minimumLength
    /// What is searched for (`SecretPatterns`: ASCII case ignored, longest first).
    public private(set) var patterns = SecretPatterns()

    /// Creates an empty set.
    public init() {}

    /// The strings to hide, longest first (so a base64 line goes before the password inside it).
    public var secrets: [String] { patterns.patterns }

    /// True when nothing was sent yet.
    public var isEmpty: Bool { patterns.isEmpty }

    /// Remembers a response line sent to the server (base64, or `*` to cancel).
    public mutating func add(response: String) {
        let line = response.trimmingSpaces()
        guard line != "*", !line.isEmpty else { return }
        patterns.insert(base64: line)
        guard let decoded = Base64.decode(line) else { return }
        // PLAIN separates its parts with NUL, XOAUTH2 with ^A.
        for part in decoded.split(whereSeparator: { $0 == 0 || $0 == 1 }) {
            var text = String(decoding: part, as: UTF8.self)
            patterns.insert(text)
            for prefix in ["user=", "auth=", "Bearer "] where text.hasPrefix(prefix) {
                text.removeFirst(prefix.count)
                patterns.insert(text)
            }
        }
    }

    /// Remembers a secret given in clear (the password or token of the exchange) and its
    /// base64 form, which a server may quote even when the mechanism did not send it alone.
    public mutating func add(secret: String) {
        patterns.insert(secret)
        patterns.insert(base64: Base64.encode(secret))
    }

    /// `text` with every remembered secret replaced by `{secret}`.
    public func redacting(_ text: String) -> String { patterns.redacting(text) }

    /// `reply` with every line redacted; the same reply when nothing was echoed.
    public func redacting(_ reply: Reply) -> Reply { patterns.redacting(reply) }

    /// `error` with any echo removed from its messages and reply.
    public func redacting(_ error: SMTPError) -> SMTPError { patterns.redacting(error) }
}
