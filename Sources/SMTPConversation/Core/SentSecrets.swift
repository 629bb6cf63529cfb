/// SentSecrets remembers the secret-bearing forms the client sent in a session's AUTH
/// exchanges and removes them from every later reply, for the rest of the connection.
///
/// A server may quote the credential long after AUTH: a 550 to RCPT quoting the last command
/// lines it saw, a 554 to the final dot, a 421 on close, an EHLO listing debug text. Such replies
/// become `SMTPError` descriptions, transcripts, the REPL's output and a queued request's stored
/// last reply, so every reply passes here (`Conversation.nextReply`). Unlike `AuthEchoes`, which
/// hides everything an AUTH exchange sent (the user name too) from the replies to it, this keeps
/// only what carries the secret, so a user name a server quotes stays readable:
/// - the password or token in clear (`add(secret:)`, or found in a PLAIN or XOAUTH2 line) and
///   its base64 form (LOGIN's password line), with and without `=` padding;
/// - every base64 line the client sent in the exchange (PLAIN's and XOAUTH2's blobs, LOGIN's
///   lines), with and without padding: no one needs to read them back.
///
/// Matching ignores ASCII case (`SecretPatterns`). The list holds a handful of patterns per
/// exchange (five for each mechanism this library runs), and only the client adds to it.
/// Not covered: a secret shorter than `SecretPatterns.minimumLength`, or one a server re-encodes
/// (percent-escaped, split over lines, truncated).
public struct SentSecrets: Sendable, Equatable {
    /// What is searched for in every later reply.
    public private(set) var patterns = SecretPatterns()

    /// Creates an empty list.
    public init() {}

    /// True when no AUTH exchange sent anything yet.
    public var isEmpty: Bool { patterns.isEmpty }

    /// Remembers a password or token in clear, and its base64 form.
    public mutating func add(secret: String) {
        patterns.insert(secret)
        patterns.insert(base64: Base64.encode(secret))
    }

    /// Remembers a base64 line sent in an AUTH exchange (`*`, a cancel, is not one), and the
    /// secret inside it when the line says which part that is: PLAIN's last part
    /// (`authzid NUL user NUL password`), XOAUTH2's bearer token (`user=… ^A auth=Bearer TOKEN`).
    public mutating func add(line response: String) {
        let line = response.trimmingSpaces()
        guard line != "*", !line.isEmpty else { return }
        patterns.insert(base64: line)
        guard let decoded = Base64.decode(line) else { return }
        if decoded.contains(1) {
            let bearer = Array("auth=Bearer ".utf8)
            for part in decoded.split(separator: 1) where part.starts(with: bearer) {
                add(secret: String(decoding: part.dropFirst(bearer.count), as: UTF8.self))
            }
        } else if let separator = decoded.lastIndex(of: 0) {
            add(secret: String(decoding: decoded[(separator + 1)...], as: UTF8.self))
        }
    }

    /// `reply` without any remembered secret; the same reply when none was quoted.
    public func redacting(_ reply: Reply) -> Reply { patterns.redacting(reply) }

    /// `error` without any remembered secret in its messages, reply or detail.
    public func redacting(_ error: SMTPError) -> SMTPError { patterns.redacting(error) }
}
