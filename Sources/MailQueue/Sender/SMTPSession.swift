import OAuth2
import SMTPConversation
import TrustStore

/// SMTPSession opens a ready connection from `SMTPSettings`: greeting, EHLO, STARTTLS (fails
/// closed: without TLS we can't trust anything the server advertised), EHLO again, AUTH.
struct SMTPSession {
    let settings: SMTPSettings
    /// The resolved credentials (password read, wallet alias looked up), if any.
    let credentials: Credentials?
    /// For an OAuth2 credential in the wallet: the user name and the token provider (cached,
    /// refreshed before expiry) that XOAUTH2 uses, unattended.
    private(set) var oauth: (username: String, provider: TokenProvider)?

    /// Resolves the settings' secret once, at sender start-up, before anything is claimed.
    ///
    /// A wallet credential's user name follows `CredentialResolver`'s rules (`--user` wins, else
    /// the credential's own). A secret without any user name, or a user name without a secret,
    /// is a configuration error: going on without AUTH would send mail unauthenticated.
    /// - Throws: `QueueError.configuration` naming the alias or setting (never the secret).
    init(settings: SMTPSettings) throws(QueueError) {
        self.settings = settings
        oauth = nil
        let given = settings.username.flatMap { $0.isEmpty ? nil : $0 }
        switch settings.secret {
        case nil:
            if let given {
                throw QueueError(.configuration, field: "smtp user \(given)",
                                 reason: "a user name needs a password (MAIL_QUEUE_SMTP_PASSWORD, --password-file) or a credential alias")
            }
            credentials = nil  // no AUTH at all: a local relay that needs none
        case .password(let password)?:
            guard let given else {
                throw QueueError(.configuration, field: "smtp password",
                                 reason: "a password needs a user name (--user, MAIL_QUEUE_SMTP_USER or user in --config)")
            }
            credentials = Credentials(username: given, password: password.revealed)
        case .walletAlias(let alias)?:
            guard let walletPath = settings.walletPath else {
                throw QueueError(.configuration, field: "credential alias \(alias)", reason: "a credential alias needs --wallet")
            }
            let walletPassword = settings.walletPassword ?? ""
            let resolved: CredentialResolver.Resolved
            do throws(OAuth2Error) {
                resolved = try CredentialResolver.resolve(alias: alias, username: given, walletPath: walletPath,
                                                          walletPassword: walletPassword)
            } catch {
                if error.kind == .wallet { throw QueueError(.configuration, field: "wallet \(walletPath)", reason: error.message) }
                throw QueueError(.configuration, field: "credential alias \(alias)",
                                 reason: error.message + "; give --user (or MAIL_QUEUE_SMTP_USER, user in --config)")
            }
            if let password = resolved.passwordCredentials {
                credentials = password
                return
            }
            // OAuth2 kinds (client secret, certificate, refresh token, token command): a token
            // provider, and AUTH XOAUTH2 when the connection opens.
            do throws(OAuth2Error) {
                let provider = try WalletTokens.provider(alias: alias, walletPath: walletPath, walletPassword: walletPassword,
                                                         settings: settings.tokenSettings)
                credentials = nil
                oauth = (resolved.username, provider)
            } catch {
                throw QueueError(.configuration, field: "credential alias \(alias)", reason: error.message)
            }
        }
    }

    /// Opens a connection ready for MAIL FROM.
    func open() throws(SMTPError) -> SMTPConnection {
        var tls = TLSConfiguration()
        if let caFile = settings.caFile { tls.trust = .pemFile(caFile) }
        let options = SMTPConnection.Options(tls: tls, allowCleartextAuth: false, connectTimeout: settings.timeout,
                                             observer: settings.observer)
        let implicit = settings.security == .implicit
        let connection: SMTPConnection
        if let walletPath = settings.walletPath, settings.caFile == nil {
            connection = try SMTPConnection.openConnection(
                host: settings.host, port: settings.port, txTimeout: settings.timeout, walletPath: walletPath,
                walletPassword: settings.walletPassword, secureConnectionBeforeSMTP: implicit, options: options)
        } else {
            connection = try SMTPConnection.openConnection(
                host: settings.host, port: settings.port, txTimeout: settings.timeout,
                secureConnectionBeforeSMTP: implicit, options: options)
        }
        do throws(SMTPError) {
            try connection.ehlo(settings.heloName)
            if settings.security == .starttls {
                try connection.starttls()
                try connection.ehlo(settings.heloName)
            }
            if let credentials { try connection.auth(credentials, schemes: settings.authSchemes) }
            if let oauth { try authenticateXOAUTH2(connection: connection, username: oauth.username, provider: oauth.provider) }
            return connection
        } catch {
            connection.closeConnection()
            throw error
        }
    }
}
