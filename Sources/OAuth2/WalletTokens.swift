import Foundation
import TrustStore

/// WalletTokens turns a credential kept in the wallet into tokens: the right `TokenSource` for
/// its kind, cached by a `TokenProvider`, with rotated refresh tokens written back to the
/// wallet (locked, atomic). This is what `auth credential=ALIAS` and the queue use.
public enum WalletTokens {
    /// Settings shared by every provider made here.
    public struct Settings: Sendable {
        /// The HTTPS client for token endpoints (its CA file, timeout).
        public var http: HTTPSClient
        /// The clock for the cache and the device code flow.
        public var clock: OAuth2Clock
        /// Seconds a token command may run.
        public var commandTimeout: Double
        /// Environment variables a token command must not get, besides
        /// `TokenCommandSource.secretVariables` and any variable holding the wallet password
        /// (e.g. the one a `--password-env` named).
        public var hiddenVariables: Set<String>

        /// Creates settings.
        public init(http: HTTPSClient = HTTPSClient(), clock: OAuth2Clock = .system, commandTimeout: Double = 60,
                    hiddenVariables: Set<String> = []) {
            self.http = http
            self.clock = clock
            self.commandTimeout = commandTimeout
            self.hiddenVariables = hiddenVariables
        }
    }

    /// A cached token provider for the OAuth2 credential `alias` in the wallet.
    /// - Throws: `OAuth2Error` `.wallet` (no such wallet or alias, wrong password) or
    ///   `.configuration` (a password credential, which has no tokens).
    public static func provider(alias: String, walletPath: String, walletPassword: String, settings: Settings = Settings())
        throws(OAuth2Error) -> TokenProvider
    {
        let credential = try credential(alias: alias, walletPath: walletPath, walletPassword: walletPassword)
        let identity: ClientIdentity?
        if credential.kind == .clientCertificate {
            identity = try wallet(walletPath, walletPassword).identity
        } else {
            identity = nil
        }
        let source = try source(for: credential, identity: identity, walletPath: walletPath, walletPassword: walletPassword, settings: settings)
        return TokenProvider(source: source, clock: settings.clock)
    }

    /// The credential `alias` (for its kind and user name).
    public static func credential(alias: String, walletPath: String, walletPassword: String) throws(OAuth2Error) -> WalletCredential {
        do { return try wallet(walletPath, walletPassword).credential(alias) } catch let error as OAuth2Error { throw error } catch {
            throw OAuth2Error(.wallet, "\(error)")
        }
    }

    /// The token source for `credential`.
    public static func source(for credential: WalletCredential, identity: ClientIdentity?, walletPath: String, walletPassword: String,
                              settings: Settings) throws(OAuth2Error) -> any TokenSource {
        func platform() throws(OAuth2Error) -> (IdentityPlatform, String) {
            guard let tenant = credential.tenant, let clientID = credential.clientID else {
                throw OAuth2Error(.configuration, "credential \(credential.alias) has no tenant or client id; store it again with --tenant and --client-id")
            }
            return (IdentityPlatform(tenant: tenant, authority: credential.authority, http: settings.http, clock: settings.clock), clientID)
        }
        switch credential.kind {
        case .relayUser:
            throw OAuth2Error(.configuration, "credential \(credential.alias) is a relay user (a password hash that mail-queue relay checks), not a credential to send with")
        case .password:
            throw OAuth2Error(.configuration, "credential \(credential.alias) holds a password, not an OAuth2 secret; use it with schemes=\"LOGIN PLAIN\", not XOAUTH2")
        case .clientSecret:
            let (platform, clientID) = try platform()
            return ClientCredentialsSource(platform: platform, clientID: clientID, proof: .secret(credential.secret.revealed),
                                           scope: credential.scope ?? IdentityPlatform.appOnlyScope)
        case .clientCertificate:
            let (platform, clientID) = try platform()
            guard let identity else {
                throw OAuth2Error(.configuration, "credential \(credential.alias) signs with the wallet's client identity, and the wallet has none; add it with `smtp-wallet add --identity CERT --key KEY`")
            }
            return ClientCredentialsSource(platform: platform, clientID: clientID,
                                           proof: .certificate(ClientAssertionSigner(identity: identity, clientID: clientID)),
                                           scope: credential.scope ?? IdentityPlatform.appOnlyScope)
        case .refreshToken:
            let (platform, clientID) = try platform()
            let alias = credential.alias
            return RefreshTokenSource(platform: platform, clientID: clientID, refreshToken: credential.secret.revealed,
                                      scope: credential.scope ?? IdentityPlatform.delegatedScope) { rotated throws(OAuth2Error) in
                try store(rotated, alias: alias, walletPath: walletPath, walletPassword: walletPassword, now: settings.clock.now())
            }
        case .tokenCommand:
            // Whatever variable holds the wallet password (MAIL_QUEUE_WALLET_PASSWORD, the one a
            // --password-env or ${NAME} named) stays out of the command's environment.
            let holdingPassword = walletPassword.isEmpty ? []
                : ProcessInfo.processInfo.environment.filter { $0.value == walletPassword }.map(\.key)
            return TokenCommandSource(command: credential.tokenCommand ?? "", environment: ["SMTP_OAUTH_USERNAME": credential.username],
                                      hiddenVariables: settings.hiddenVariables.union(holdingPassword),
                                      timeout: settings.commandTimeout, clock: settings.clock)
        }
    }

    /// Signs a person in with the device code flow and keeps the refresh token in the wallet
    /// as a `refresh-token` credential named `alias`.
    /// - Parameter show: tells the person where to go and what to type.
    /// - Returns: the stored credential (its description hides the token).
    @discardableResult
    public static func signIn(alias: String, username: String, tenant: String, clientID: String, authority: String? = nil,
                              scope: String = IdentityPlatform.delegatedScope, walletPath: String, walletPassword: String,
                              settings: Settings = Settings(), show: (DeviceCodePrompt) -> Void) throws(OAuth2Error) -> WalletCredential {
        let platform = IdentityPlatform(tenant: tenant, authority: authority, http: settings.http, clock: settings.clock)
        let token = try platform.deviceCodeSignIn(clientID: clientID, scope: scope, show: show)
        guard let refreshToken = token.refreshToken else {
            throw OAuth2Error(.malformedResponse, "the sign-in gave no refresh token; the scope must include offline_access")
        }
        let credential = WalletCredential(
            alias: alias, username: username, kind: .refreshToken, secret: refreshToken, tenant: tenant, clientID: clientID,
            authority: authority, scope: scope == IdentityPlatform.delegatedScope ? nil : scope, updated: settings.clock.now())
        do {
            try Wallet.modify(walletPath, password: walletPassword) { wallet throws(WalletError) in try wallet.setCredential(credential) }
        } catch {
            throw OAuth2Error(.wallet, "signed in, but cannot keep the refresh token: \(error)")
        }
        return credential
    }

    /// Writes a rotated refresh token to the wallet (locked, atomic).
    static func store(_ refreshToken: String, alias: String, walletPath: String, walletPassword: String, now: Double) throws(OAuth2Error) {
        do {
            try Wallet.modify(walletPath, password: walletPassword) { wallet throws(WalletError) in
                try wallet.updateSecret(of: alias, to: refreshToken, now: now)
            }
        } catch {
            throw OAuth2Error(.wallet, "the identity platform rotated the refresh token of \(alias), and the new one cannot be stored: \(error)")
        }
    }

    static func wallet(_ path: String, _ password: String) throws(OAuth2Error) -> Wallet {
        do { return try Wallet.open(path, password: password, readingManifest: false) } catch {
            throw OAuth2Error(.wallet, "\(error)")
        }
    }
}
