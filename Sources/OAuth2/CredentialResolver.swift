import SMTPConversation
import TrustStore

/// CredentialResolver turns a credential kept in the wallet into what AUTH sends. It is the one
/// place with the rules, used by the REPL's `auth credential=`, the queue's `--credential-alias`
/// and anything else that authenticates with a wallet credential:
///
/// - a user name given explicitly (`username=`, `--user`) wins over the credential's own;
/// - the credential's own user name is used when none is given;
/// - with neither, it is a configuration error: AUTH cannot be sent without a user name, and
///   going on without AUTH would send mail unauthenticated (or have every message refused).
public enum CredentialResolver {
    /// Resolved is a wallet credential and the user name AUTH sends with it.
    public struct Resolved: Sendable {
        /// The credential as kept in the wallet (its description hides the secret).
        public let credential: WalletCredential
        /// The user name AUTH sends.
        public let username: String

        /// For a password credential, the credentials AUTH PLAIN/LOGIN/CRAM-MD5 sends; nil for an
        /// OAuth2 credential, whose tokens come from `WalletTokens.provider`.
        public var passwordCredentials: Credentials? {
            guard credential.kind == .password else { return nil }
            return Credentials(username: username, password: credential.secret.revealed)
        }
    }

    /// The user name AUTH sends with `credential`: `given` when it is not empty, else the
    /// credential's own.
    /// - Throws: `OAuth2Error` `.configuration` when neither gives one.
    public static func username(given: String?, credential: WalletCredential) throws(OAuth2Error) -> String {
        if let given, !given.isEmpty { return given }
        guard !credential.username.isEmpty else {
            throw OAuth2Error(.configuration, "credential \(credential.alias) has no user name, and none was given")
        }
        return credential.username
    }

    /// Reads the credential `alias` from the wallet and settles its user name.
    /// - Parameters:
    ///   - alias: the credential's name.
    ///   - username: the user name given explicitly, if any (it wins over the credential's own).
    ///   - walletPath: the wallet (`file:DIR`).
    ///   - walletPassword: its password; empty for an auto-login wallet.
    /// - Throws: `OAuth2Error` `.wallet` (no such wallet or alias, wrong password) or
    ///   `.configuration` (no user name anywhere).
    public static func resolve(alias: String, username: String?, walletPath: String, walletPassword: String)
        throws(OAuth2Error) -> Resolved
    {
        let credential = try WalletTokens.credential(alias: alias, walletPath: walletPath, walletPassword: walletPassword)
        return Resolved(credential: credential, username: try self.username(given: username, credential: credential))
    }
}
