import OAuth2
import SMTPConversation
import TrustStore

/// Token providers kept for the REPL process, one per wallet and alias, so a script that
/// authenticates several times asks the identity platform once per token lifetime.
enum CredentialTokenCache {
    nonisolated(unsafe) static var providers: [String: TokenProvider] = [:]
}

extension Session {
    /// `auth credential=ALIAS [username=…] [schemes=…]`: authenticates with a credential kept in
    /// the wallet (`smtp-wallet credential add`), so no secret is written in the script.
    ///
    /// A `password` credential runs the usual AUTH with `schemes` (default `LOGIN PLAIN`); an
    /// OAuth2 credential (client secret, certificate, refresh token, token command) gets a
    /// token and runs AUTH XOAUTH2, retrying once with a fresh token after a 535 (see
    /// `authenticateXOAUTH2`). Tokens are cached for the session's life.
    /// - Parameters:
    ///   - alias: the credential's name.
    ///   - username: overrides the credential's user name (`username=` on the command).
    ///   - schemes: the command's `schemes=` split into words; empty for the default.
    ///   - walletPath: `wallet_path=` (given on `auth`, else the one `open_connection` used).
    ///   - walletPassword: `wallet_password=`; nil or empty for an auto-login wallet.
    /// - Returns: the final AUTH reply (235, or the 4xx/5xx refusal, for `settle` to check
    ///   against `expect=`); the hint for a refusal is printed as a note.
    /// - Throws: `ScriptError`: exit 2 for a missing wallet, alias or a scheme that does not fit
    ///   the credential; 1 when the identity platform refuses (AADSTS explained); 3 when the
    ///   token endpoint or the server cannot be reached. Messages never hold a secret.
    @discardableResult
    func credentialAuth(alias: String, username: String?, schemes: [String], walletPath: String?, walletPassword: String?)
        throws(ScriptError) -> Reply
    {
        let connection = try requireConnection("auth")
        guard let walletPath, !walletPath.isEmpty else {
            throw .usage("auth: credential=\(alias) needs the wallet: give wallet_path= (and wallet_password= unless it is auto-login)")
        }
        let password = walletPassword ?? ""
        let resolved: CredentialResolver.Resolved
        do throws(OAuth2Error) {
            resolved = try CredentialResolver.resolve(alias: alias, username: username, walletPath: walletPath, walletPassword: password)
        } catch {
            if error.kind == .configuration { throw .usage("auth: \(error.message); give username=") }
            throw ScriptError(exitCode: 2, message: "auth: credential=\(alias): \(error.message)")
        }
        let user = resolved.username
        let requested = Conversation.mechanisms(in: schemes)
        if let credentials = resolved.passwordCredentials {
            if requested == ["XOAUTH2"] { throw .usage("auth: credential \(alias) holds a password, which XOAUTH2 cannot use; use schemes=\"LOGIN PLAIN\"") }
            let chosen = requested.isEmpty ? ["LOGIN", "PLAIN"] : requested.filter { $0 != "XOAUTH2" }
            return try authReply { () throws(SMTPError) -> Reply in
                try connection.returningReplies.auth(credentials, schemes: chosen)
            }
        }
        guard requested.isEmpty || requested.contains("XOAUTH2") else {
            throw .usage("auth: credential \(alias) gives OAuth2 tokens; schemes= must include XOAUTH2")
        }
        let key = walletPath + "\u{0}" + alias
        let provider: TokenProvider
        if let cached = CredentialTokenCache.providers[key] {
            provider = cached
        } else {
            do throws(OAuth2Error) {
                provider = try WalletTokens.provider(alias: alias, walletPath: walletPath, walletPassword: password)
            } catch {
                throw ScriptError(exitCode: 2, message: "auth: credential=\(alias): \(error.message)")
            }
            CredentialTokenCache.providers[key] = provider
        }
        return try authReply { () throws(SMTPError) -> Reply in try authenticateXOAUTH2(connection: connection, username: user, provider: provider) }
    }

    /// Runs an AUTH; a refusal comes back as its reply (with the hint shown), other failures
    /// become the script's exit code.
    private func authReply(_ body: () throws(SMTPError) -> Reply) throws(ScriptError) -> Reply {
        do throws(SMTPError) {
            return try body()
        } catch {
            if let reply = error.reply {
                if let detail = error.detail { observe(.note("auth: \(detail)")) }
                return reply
            }
            throw ScriptError(exitCode: Self.exitCode(for: error), message: error.description)
        }
    }
}

extension Session {
    /// `show token credential=ALIAS [wallet_path=…] [wallet_password=…]`: gets a token through
    /// the credential's own flow and prints its offline checks (`smtp-wallet credential test`
    /// without `--smtp`); never the token. A failed check is an SMTP-like failure (exit 1 in a
    /// script) so that a script stops before AUTH.
    func showToken(_ arguments: Arguments) throws(ScriptError) {
        guard let alias = arguments.named["credential"] else { throw .usage("show token: give credential=ALIAS") }
        guard let walletPath = arguments.named["wallet_path"] ?? wallet?.path, !walletPath.isEmpty else {
            throw .usage("show token: credential=\(alias) needs the wallet: give wallet_path= (and wallet_password= unless it is auto-login)")
        }
        let password = arguments.named["wallet_password"] ?? wallet?.password ?? ""
        let diagnosis: CredentialDiagnosis
        do throws(OAuth2Error) {
            // The REPL's --trust/trust= CA file is trusted for the token endpoint too (a test or private cloud).
            var settings = WalletTokens.Settings()
            if case .pemFile(let caFile) = defaultTrust { settings.http.caFile = caFile }
            diagnosis = try CredentialDiagnosis.checkToken(alias: alias, walletPath: walletPath, walletPassword: password, settings: settings).diagnosis
        } catch {
            throw ScriptError(exitCode: error.kind == .wallet || error.kind == .configuration ? 2 : (error.isTransient ? 3 : 1),
                              message: "show token: credential=\(alias): \(error.message)")
        }
        for line in diagnosis.lines { printer.plain(line) }
        if !diagnosis.isOK {
            throw ScriptError(exitCode: 1, message: "show token: the token of \(alias) will be refused: "
                + diagnosis.report.problems.map(\.claim).joined(separator: ", "))
        }
    }
}
