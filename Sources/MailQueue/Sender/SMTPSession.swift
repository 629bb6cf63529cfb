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

    /// Resolves the settings' secret once, at sender start-up.
    /// - Throws: `QueueError.configuration` naming the alias or setting (never the secret).
    init(settings: SMTPSettings) throws(QueueError) {
        self.settings = settings
        oauth = nil
        guard let username = settings.username else {
            credentials = nil
            return
        }
        switch settings.secret {
        case .password(let password)?:
            credentials = Credentials(username: username, password: password)
        case .walletAlias(let alias)?:
            guard let walletPath = settings.walletPath else {
                throw QueueError(.configuration, field: "credential alias \(alias)", reason: "a credential alias needs --wallet")
            }
            do {
                let wallet = try Wallet.open(walletPath, password: settings.walletPassword ?? "")
                let credential = try wallet.credential(alias)
                guard credential.kind == .password else {
                    // OAuth2 kinds (client secret, certificate, refresh token, token command):
                    // a token provider, and AUTH XOAUTH2 when the connection opens.
                    let provider: TokenProvider
                    do throws(OAuth2Error) {
                        provider = try WalletTokens.provider(
                            alias: alias, walletPath: walletPath, walletPassword: settings.walletPassword ?? "")
                    } catch {
                        throw QueueError(.configuration, field: "credential alias \(alias)", reason: error.description)
                    }
                    credentials = nil
                    oauth = (credential.username.isEmpty ? username : credential.username, provider)
                    return
                }
                credentials = Credentials(username: credential.username.isEmpty ? username : credential.username,
                                          password: credential.secret)
            } catch let error as QueueError {
                throw error
            } catch {
                throw QueueError(.configuration, field: "wallet \(walletPath)", reason: "\(error)")
            }
        case nil:
            throw QueueError(.configuration, field: "smtp user \(username)",
                             reason: "a user name needs a password (MAIL_QUEUE_SMTP_PASSWORD, --password-file) or a credential alias")
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
