/// ServerEvent is what a `ServerConversation` needs its host to act on.
///
/// `authenticate`, `mailFrom`, `recipient` and `message` wait for a decision: the host
/// answers with `accept` or `refuse` before asking for the next event. `startTLS` and
/// `close` are instructions: flush the output, then do the handshake or hang up.
public enum ServerEvent: Sendable, Equatable {
    /// A client proved (or claims) an identity; check it and accept or refuse.
    case authenticate(SASLServerAttempt)
    /// `MAIL FROM`: the reverse path and its parameters; accept or refuse (e.g. 550 5.7.1).
    case mailFrom(MailFromRequest)
    /// `RCPT TO`: one forward path; accept or refuse.
    case recipient(String)
    /// A whole message after the final dot; store it, then accept with the reply naming where
    /// it went, or refuse (451 4.3.0 when it could not be stored).
    case message(ReceivedMessage)
    /// The 220 to STARTTLS is in the output: flush it, run the TLS handshake, then call
    /// `tlsEstablished()`. `discardedBytes` is plaintext the client sent behind STARTTLS,
    /// thrown away unread (CVE-2011-0411).
    case startTLS(discardedBytes: Int)
    /// The session is over (221 to QUIT, or a 421): flush the output and close.
    case close
}

/// MailFromRequest is one `MAIL FROM` command, parsed.
public struct MailFromRequest: Sendable, Equatable {
    /// The reverse path without angle brackets; empty for the null path `<>`.
    public var reversePath: String
    /// The `SIZE=` the client declared, if any.
    public var declaredSize: Int?
    /// True for `BODY=8BITMIME`.
    public var eightBitMIME: Bool
    /// True for `SMTPUTF8` (RFC 6531).
    public var smtpUTF8: Bool

    /// Creates a request.
    public init(reversePath: String, declaredSize: Int? = nil, eightBitMIME: Bool = false, smtpUTF8: Bool = false) {
        self.reversePath = reversePath
        self.declaredSize = declaredSize
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
    }
}

/// ReceivedMessage is a message the client finished with the final dot.
public struct ReceivedMessage: Sendable, Equatable {
    /// The envelope sender (MAIL FROM), without brackets; empty for `<>`.
    public var mailFrom: MailFromRequest
    /// The accepted recipients (RCPT TO), in order.
    public var recipients: [String]
    /// The content as the client meant it: dot-unstuffed, CRLF line ends, without the final dot.
    public var data: [UInt8]
    /// The user that authenticated on this session, if any.
    public var authenticatedUser: String?

    /// Creates a message.
    public init(mailFrom: MailFromRequest, recipients: [String], data: [UInt8], authenticatedUser: String?) {
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.data = data
        self.authenticatedUser = authenticatedUser
    }
}

/// SASLServerAttempt is what a client sent to AUTH, decoded; its secret never shows in
/// `description`.
public struct SASLServerAttempt: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Proof says how the client proves the identity.
    public enum Proof: Sendable, Equatable {
        /// PLAIN or LOGIN: the password itself.
        case password(String)
        /// CRAM-MD5 (RFC 2195): the challenge sent and the hex HMAC-MD5 digest received.
        case cramMD5(challenge: String, digest: String)
    }

    /// The mechanism used, upper-case.
    public var mechanism: String
    /// The authentication identity (the user name).
    public var username: String
    /// The authorization identity PLAIN may carry; nil or equal to `username` in practice.
    public var authorizationIdentity: String?
    /// The proof; read it only to verify it.
    public var proof: Proof

    /// Creates an attempt.
    public init(mechanism: String, username: String, authorizationIdentity: String? = nil, proof: Proof) {
        self.mechanism = mechanism
        self.username = username
        self.authorizationIdentity = authorizationIdentity
        self.proof = proof
    }

    /// True when `password` produces this attempt's proof. For CRAM-MD5 the digest is
    /// recomputed (the server must know the password); PLAIN and LOGIN compare in constant time.
    public func verify(password: String) -> Bool {
        switch proof {
        case .password(let given):
            return constantTimeEqual(Array(given.utf8), Array(password.utf8))
        case .cramMD5(let challenge, let digest):
            let expected = hmacMD5(key: Array(password.utf8), message: Array(challenge.utf8))
                .map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            return constantTimeEqual(Array(expected.utf8), Array(digest.lowercased().utf8))
        }
    }

    /// `SASLServerAttempt(PLAIN, username: alice, <redacted>)`.
    public var description: String { "SASLServerAttempt(\(mechanism), username: \(username), <redacted>)" }
    /// Same as `description`: the secret is never shown.
    public var debugDescription: String { description }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
