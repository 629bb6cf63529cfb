extension SMTPConnection {
    /// UTL_SMTP's `ALL_SCHEMES`: every mechanism this library implements.
    public static let allSchemes = ["CRAM-MD5", "PLAIN", "LOGIN", "XOAUTH2"]
    /// UTL_SMTP's `NON_CLEARTEXT_PASSWORD_SCHEMES`, the default: schemes that never send the
    /// password itself.
    public static let nonCleartextPasswordSchemes = ["CRAM-MD5"]

    /// Authenticates with a password (UTL_SMTP's `auth`).
    ///
    /// The scheme is chosen as UTL_SMTP does: the first of `schemes`, in the caller's order, that
    /// the server advertised in its latest EHLO (with no EHLO, the first of `schemes`).
    /// - Throws: `unsupportedScheme` for a name this library does not implement,
    ///   `noSupportedScheme` when the server offers none of them, `cleartextAuthRefused` for
    ///   PLAIN/LOGIN/XOAUTH2 without TLS unless `Options.allowCleartextAuth`, and the server's
    ///   4xx/5xx reply (535 for wrong credentials).
    @discardableResult
    public func auth(username: String, password: String, schemes: [String] = nonCleartextPasswordSchemes)
        throws(SMTPError) -> Reply
    {
        try authenticate(Credentials(username: username, password: password), schemes: schemes, raising: true)
    }

    /// Authenticates with credentials (a password or an OAuth2 access token for XOAUTH2).
    @discardableResult
    public func auth(_ credentials: Credentials, schemes: [String]) throws(SMTPError) -> Reply {
        try authenticate(credentials, schemes: schemes, raising: true)
    }

    /// The scheme `auth` would use with these `schemes` now (`Conversation.authMechanism(choosingFrom:)`).
    public func selectScheme(_ schemes: [String]) throws(SMTPError) -> String {
        do throws(SMTPError) { return try conversation.authMechanism(choosingFrom: schemes) } catch {
            throw error.filling(context("auth"))
        }
    }

    func authenticate(_ credentials: Credentials, schemes: [String], raising: Bool) throws(SMTPError) -> Reply {
        let step = "auth"
        let mechanism = try selectScheme(schemes)
        // The conversation refuses AUTH that would send the secret without TLS (unless opted in).
        var sasl: SASLClient
        do throws(SMTPError) { sasl = try SASLClient(mechanism: mechanism, credentials: credentials) } catch {
            throw error.filling(context(step))
        }
        try write([.auth(mechanism: mechanism, initialResponse: sasl.initialResponse)], step: step)
        conversation.rememberAuthSecret(credentials.secretText)
        var reply = try readReply(step: step)
        while reply.code == 334 {
            let response: String
            // The challenge as sent: the redacted reply may have lost bytes the mechanism needs.
            let challenge = conversation.unredactedChallenge ?? reply
            do throws(SMTPError) { response = try sasl.respond(to: challenge) } catch {
                // Cancel the exchange as RFC 4954 says, then report (without an echo of the secret).
                let echoes = conversation.authEchoes
                _ = try? exchange(.authResponse("*"), step: step, raising: false)
                throw echoes.redacting(error).filling(context(step))
            }
            reply = try exchange(.authResponse(response), step: step, raising: false)
        }
        if let serverError = sasl.serverError.map(conversation.authEchoes.redacting) {
            emit(.note("XOAUTH2 error from the server: \(serverError)"))
        }
        if raising, var refused = SMTPError(refusing: reply, context: context(step)) {
            refused.detail = sasl.serverError.map { "XOAUTH2: " + conversation.authEchoes.redacting($0) }
            throw refused
        }
        return reply
    }
}
