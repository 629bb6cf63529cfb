import OAuth2
import SMTPConversation
import TrustStore

extension SMTPSettings {
    /// How the sender reaches an OAuth2 credential's token endpoint (its CA file, the timeout).
    public var tokenSettings: WalletTokens.Settings {
        WalletTokens.Settings(http: HTTPSClient(caFile: tokenCAFile, timeout: timeout))
    }
}

/// TokenStartupCheck runs, when a sender starts, the offline checks of `smtp-wallet credential
/// test` on the OAuth2 credential it will authenticate with: a token whose audience, role or
/// scope, tenant, application or expiry is wrong would have every request refused with 535
/// 5.7.3, so the sender stops before claiming anything and says what is wrong.
public enum TokenStartupCheck {
    /// What the check found.
    public enum Outcome: Sendable {
        /// No OAuth2 credential, or its token's claims are right (or it is opaque).
        case fine(TokenReport?)
        /// The token will be refused: these checks failed.
        case refused(alias: String, problems: [TokenFinding])
        /// The token could not be fetched for a reason that may pass (network): the sender goes
        /// on and retries as usual.
        case unavailable(String)
    }

    /// Checks the credential in `settings`, if it is an OAuth2 credential in a wallet.
    /// - Throws: `QueueError` `.configuration` when the credential cannot be read or the identity
    ///   platform refuses it (AADSTS explained) — as the sender would on its first request.
    public static func run(_ settings: SMTPSettings, now: Double) throws(QueueError) -> Outcome {
        guard case .walletAlias(let alias)? = settings.secret, let walletPath = settings.walletPath else { return .fine(nil) }
        let password = settings.walletPassword ?? ""
        do throws(OAuth2Error) {
            let credential = try WalletTokens.credential(alias: alias, walletPath: walletPath, walletPassword: password)
            guard credential.kind.isOAuth2 else { return .fine(nil) }
            let checked = try CredentialDiagnosis.checkToken(alias: alias, username: settings.username, walletPath: walletPath,
                                                             walletPassword: password, settings: settings.tokenSettings)
            let problems = checked.diagnosis.report.problems
            return problems.isEmpty ? .fine(checked.diagnosis.report) : .refused(alias: alias, problems: problems)
        } catch {
            if error.isTransient { return .unavailable(error.message) }
            throw QueueError(.configuration, field: "credential alias \(alias)", reason: error.message)
        }
    }
}
