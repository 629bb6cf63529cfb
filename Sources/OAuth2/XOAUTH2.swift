import SMTPConversation

/// Authenticates with AUTH XOAUTH2 using a token from `provider`.
///
/// When the server answers 535 and either says the token expired or the token came from the
/// cache (Office365 says only "5.7.3 Authentication unsuccessful" for an expired token), the
/// cached token is dropped and AUTH is tried once more with a freshly issued one. A second
/// refusal is reported with what to check (for app-only tokens: SMTP.SendAsApp, the Exchange
/// service principal, SMTP AUTH enabled for the mailbox).
/// - Parameters:
///   - connection: an open connection, normally after STARTTLS and EHLO.
///   - username: the mailbox the token is for (XOAUTH2's `user=`).
///   - provider: where tokens come from.
/// - Returns: the server's 235 reply.
/// - Throws: `SMTPError`: the server's reply (`.permanentError` 535 with a hint in `detail`),
///   or a token failure as `.authenticationFailed` (permanent, e.g. an invalid client secret,
///   its AADSTS code explained) or `.network` (transient: the token endpoint was unreachable),
///   so a retry policy reading `isTransient` treats both alike. Never contains a token.
@discardableResult
public func authenticateXOAUTH2(connection: SMTPConnection, username: String, provider: TokenProvider) throws(SMTPError) -> Reply {
    let fetchesBefore = provider.fetchCount
    let token = try XOAUTH2Support.token(from: provider, forceRefresh: false)
    let wasCached = provider.fetchCount == fetchesBefore
    do {
        return try connection.auth(Credentials(username: username, accessToken: token.value), schemes: ["XOAUTH2"])
    } catch where XOAUTH2Support.isRefusal(error) && (wasCached || XOAUTH2Support.saysExpired(error)) {
        connection.options.observer?(.note("XOAUTH2: the server refused the token; retrying once with a fresh one"))
        let fresh = try XOAUTH2Support.token(from: provider, forceRefresh: true)
        do {
            return try connection.auth(Credentials(username: username, accessToken: fresh.value), schemes: ["XOAUTH2"])
        } catch {
            throw XOAUTH2Support.explained(error, token: fresh, provider: provider)
        }
    } catch {
        throw XOAUTH2Support.explained(error, token: token, provider: provider)
    }
}

/// The parts of `authenticateXOAUTH2` that read replies and shape errors.
enum XOAUTH2Support {
    static func token(from provider: TokenProvider, forceRefresh: Bool) throws(SMTPError) -> AccessToken {
        do { return try provider.accessToken(forceRefresh: forceRefresh) } catch {
            let context = SMTPError.Context(step: "auth")
            if error.isTransient { throw SMTPError(.network("getting an OAuth2 token: \(error.message)"), context: context) }
            throw SMTPError(.authenticationFailed("getting an OAuth2 token: \(error.message)"), context: context)
        }
    }

    static func isRefusal(_ error: SMTPError) -> Bool { error.reply?.code == 535 }

    /// The reply or the XOAUTH2 error challenge says the token expired (or is invalid, 401).
    static func saysExpired(_ error: SMTPError) -> Bool {
        let text = ((error.reply?.lines.joined(separator: " ") ?? "") + " " + (error.detail ?? "")).lowercased()
        return text.contains("expired") || text.contains("invalid_token") || text.contains("\"401\"")
    }

    static func explained(_ error: SMTPError, token: AccessToken, provider: TokenProvider) -> SMTPError {
        guard isRefusal(error) else { return error }
        var hints: [String] = []
        if let detail = error.detail { hints.append(detail) }
        // The token's own claims first (audience, role or scope, expiry), as `credential test` checks them.
        let report = TokenChecks.check(token, expected: .init(appOnly: provider.source.isAppOnly), now: provider.clock.now())
        for problem in report.problems { hints.append("the token's \(problem.claim) \(problem.value ?? ""): \(problem.message)") }
        if provider.source.isAppOnly {
            hints.append(AADSTS.sendAsAppHint)
        } else {
            hints.append("check that the token's scope includes SMTP.Send, that the user name is the mailbox signed in, and that SMTP AUTH is enabled for it")
        }
        var copy = error
        copy.detail = hints.joined(separator: "; ")
        return copy
    }
}
