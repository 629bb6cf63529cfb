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
/// secret.
public struct AuthEchoes: Sendable, Equatable {
    /// Decoded parts shorter than this are not searched for.
    public static let minimumLength = 3
    /// The strings to hide, longest first (so a base64 line goes before the password inside it).
    public private(set) var secrets: [String] = []

    /// Creates an empty set.
    public init() {}

    /// True when nothing was sent yet.
    public var isEmpty: Bool { secrets.isEmpty }

    /// Remembers a response line sent to the server (base64, or `*` to cancel).
    public mutating func add(response: String) {
        let line = response.trimmingSpaces()
        guard line != "*", !line.isEmpty else { return }
        add(line)
        var unpadded = Substring(line)
        while unpadded.hasSuffix("=") { unpadded = unpadded.dropLast() }
        add(String(unpadded))
        guard let decoded = Base64.decode(line) else { return }
        // PLAIN separates its parts with NUL, XOAUTH2 with ^A.
        for part in decoded.split(whereSeparator: { $0 == 0 || $0 == 1 }) {
            var text = String(decoding: part, as: UTF8.self)
            add(text)
            for prefix in ["user=", "auth=", "Bearer "] where text.hasPrefix(prefix) {
                text.removeFirst(prefix.count)
                add(text)
            }
        }
    }

    /// Remembers a secret given in clear (the password or token of the exchange) and its
    /// base64 form, which a server may quote even when the mechanism did not send it alone.
    public mutating func add(secret: String) {
        add(secret)
        let encoded = Base64.encode(secret)
        add(encoded)
        var unpadded = Substring(encoded)
        while unpadded.hasSuffix("=") { unpadded = unpadded.dropLast() }
        add(String(unpadded))
    }

    private mutating func add(_ text: String) {
        guard text.count >= Self.minimumLength, !secrets.contains(text) else { return }
        secrets.append(text)
        secrets.sort { $0.count > $1.count }
    }

    /// `text` with every remembered secret replaced by `{secret}`.
    public func redacting(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Command.secretPlaceholder)
        }
        return result
    }

    /// `reply` with every line redacted; the same reply when nothing was echoed.
    public func redacting(_ reply: Reply) -> Reply {
        guard !secrets.isEmpty else { return reply }
        let lines = reply.lines.map(redacting)
        return lines == reply.lines ? reply : Reply(code: reply.code, lines: lines)
    }

    /// `error` with any echo removed from its messages and reply.
    public func redacting(_ error: SMTPError) -> SMTPError {
        guard !secrets.isEmpty else { return error }
        var copy = error
        copy.kind = error.kind.mapping(text: redacting, reply: redacting)
        copy.detail = error.detail.map(redacting)
        return copy
    }
}
