/// Credentials are what AUTH proves: a user name and a password or an OAuth2 access token.
///
/// The secret is a `SecretText`: never part of `description`, `debugDescription` or `dump`, so
/// printing, logging, interpolating or reflecting credentials cannot leak it.
public struct Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Secret says what kind of secret the credentials hold.
    public enum Secret: Sendable {
        /// A password (PLAIN, LOGIN, CRAM-MD5).
        case password(SecretText)
        /// An OAuth2 bearer access token (XOAUTH2).
        case accessToken(SecretText)
    }

    /// The user name (for Office365, the mailbox address).
    public let username: String
    /// The secret; read it only to build a SASL response.
    public let secret: Secret

    /// Credentials with a password.
    public init(username: String, password: String) {
        self.username = username
        self.secret = .password(SecretText(password))
    }

    /// Credentials with an OAuth2 access token.
    public init(username: String, accessToken: String) {
        self.username = username
        self.secret = .accessToken(SecretText(accessToken))
    }

    var secretText: String {
        switch secret {
        case .password(let text), .accessToken(let text): return text.revealed
        }
    }

    /// `Credentials(username: alice, password: <redacted>)`.
    public var description: String {
        switch secret {
        case .password: return "Credentials(username: \(username), password: <redacted>)"
        case .accessToken: return "Credentials(username: \(username), accessToken: <redacted>)"
        }
    }

    /// Same as `description`: the secret is never shown.
    public var debugDescription: String { description }
}
