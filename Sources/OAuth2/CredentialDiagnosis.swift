import Foundation
import SMTPConversation
import TrustStore

/// CredentialDiagnosis is what `smtp-wallet credential test` finds for one wallet credential:
/// the token's offline checks and, when asked, how an SMTP server took the token, joined into
/// the likely cause of a refusal. It holds no token and no secret.
public struct CredentialDiagnosis: Sendable {
    /// The credential (its description hides the secret).
    public let credential: WalletCredential
    /// The token's checks.
    public let report: TokenReport
    /// The SMTP trial, when one was run.
    public var smtp: SMTPTrial?

    /// True when every check held and the server (if asked) accepted the token.
    public var isOK: Bool { report.problems.isEmpty && (smtp?.accepted ?? true) }

    /// The diagnosis for people, one check a line, then the SMTP trial and the verdict; no token
    /// and no secret.
    public var lines: [String] {
        let diagnosis = self
        let report = diagnosis.report
        let flavour = report.isAppOnly.map { $0 ? "app-only" : "delegated" } ?? "unknown kind"
        var lines = ["credential \(diagnosis.credential.alias) (\(diagnosis.credential.kind.rawValue), \(flavour)): token obtained, "
            + (report.isJWT ? "a JWT (not shown)" : "opaque")]
        for finding in report.findings {
            let value = finding.value.map { " \($0)" } ?? ""
            lines.append("  \(finding.result.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(finding.claim)\(value): \(finding.message)")
        }
        if let trial = diagnosis.smtp {
            let answer = trial.reply.map { " -> \($0.singleLine)" } ?? trial.failure.map { " -> failed: \($0)" } ?? ""
            lines.append("smtp \(trial.server): \(trial.steps.joined(separator: ", "))\(answer)")
            if let explanation = trial.explanation { lines.append("  server's reply (\(explanation.vendor)): \(explanation.cause)") }
            if let cause = trial.likelyCause { lines.append("  likely cause: \(cause)") }
        }
        let problems = report.problems.count
        lines.append(diagnosis.isOK ? "result: ok" : "result: \(problems) finding\(problems == 1 ? "" : "s")"
            + (diagnosis.smtp.map { $0.accepted ? "" : "; the server did not accept the token" } ?? ""))
        return lines
    }

    /// The token's checks for the credential `alias`: a token through the credential's own flow
    /// (client secret, certificate, refresh token — rotated and stored as usual — or token
    /// command), then `TokenChecks` against the credential's tenant, client id and kind.
    /// - Returns: the diagnosis and the token, which the caller may hand to `SMTPTrial.run` and
    ///   must not show.
    /// - Parameter username: the user name AUTH will send, when given explicitly (`--user`,
    ///   `--username`); else the credential's own (`CredentialResolver`).
    /// - Throws: `OAuth2Error` as `WalletTokens.provider` and the token source throw.
    public static func checkToken(alias: String, username: String? = nil, walletPath: String, walletPassword: String,
                                  settings: WalletTokens.Settings = WalletTokens.Settings())
        throws(OAuth2Error) -> (diagnosis: CredentialDiagnosis, token: AccessToken)
    {
        let credential = try WalletTokens.credential(alias: alias, walletPath: walletPath, walletPassword: walletPassword)
        let provider = try WalletTokens.provider(alias: alias, walletPath: walletPath, walletPassword: walletPassword, settings: settings)
        let token = try provider.accessToken()
        var expected = expectations(for: credential)
        // The mailbox XOAUTH2 will name, by the shared rule (a given user name wins); none: not checked.
        expected.username = try? CredentialResolver.username(given: username, credential: credential)
        let report = TokenChecks.check(token, expected: expected, now: settings.clock.now())
        return (CredentialDiagnosis(credential: credential, report: report), token)
    }

    /// What a token of `credential` must be.
    public static func expectations(for credential: WalletCredential) -> TokenChecks.Expectations {
        let appOnly: Bool?
        switch credential.kind {
        case .clientSecret, .clientCertificate: appOnly = true
        case .refreshToken: appOnly = false
        default: appOnly = nil
        }
        return TokenChecks.Expectations(tenant: credential.tenant, clientID: credential.clientID, appOnly: appOnly,
                                        username: credential.username)
    }
}

/// SMTPTrial is EHLO, STARTTLS, EHLO and AUTH XOAUTH2 against a server with a checked token,
/// and what the server's answer means given the token's checks.
public struct SMTPTrial: Sendable {
    /// `host:port`.
    public let server: String
    /// The commands sent, in order (`EHLO`, `STARTTLS`, `EHLO`, `AUTH XOAUTH2`); never the token.
    public var steps: [String] = []
    /// The reply that ended the trial: 235, or the refusal.
    public var reply: Reply?
    /// A failure before AUTH was answered (network, TLS, no STARTTLS or XOAUTH2 offered).
    public var failure: SMTPError?
    /// The catalogue's explanation of a refusal.
    public var explanation: ReplyExplanation?
    /// The refusal joined with the token's checks: the likely cause.
    public var likelyCause: String?

    /// True when the server answered AUTH with 235.
    public var accepted: Bool { reply?.code == 235 }

    /// Runs the trial.
    /// - Parameters:
    ///   - tls: trust and verification for STARTTLS (hostname checks stay on).
    ///   - username: the mailbox XOAUTH2 names.
    ///   - token: the token checked in `report`.
    public static func run(host: String, port: Int, tls: TLSConfiguration, username: String, token: AccessToken, report: TokenReport,
                           timeout: Double = 30, clientName: String = "localhost") -> SMTPTrial {
        var trial = SMTPTrial(server: "\(host):\(port)")
        var connection: SMTPConnection?
        defer { connection?.closeConnection() }
        do throws(SMTPError) {
            let opened = try SMTPConnection.openConnection(host: host, port: port, txTimeout: timeout, options: .init(tls: tls))
            connection = opened
            trial.steps.append("EHLO")
            try opened.ehlo(clientName)
            trial.steps.append("STARTTLS")
            try opened.starttls()
            trial.steps.append("EHLO")
            try opened.ehlo(clientName)
            trial.steps.append("AUTH XOAUTH2")
            trial.reply = try opened.auth(Credentials(username: username, accessToken: token.value), schemes: ["XOAUTH2"])
            _ = try? opened.quit()
        } catch {
            if let reply = error.reply, trial.steps.last == "AUTH XOAUTH2" {
                trial.reply = reply
                let context = ReplyContext(inTLS: true, authenticated: false, command: "AUTH", mechanism: "XOAUTH2")
                trial.explanation = reply.explanation(context: context)
                trial.likelyCause = likelyCause(reply: reply, explanation: trial.explanation, report: report, username: username)
            } else {
                trial.failure = error
            }
        }
        return trial
    }

    /// The refusal read together with the token's checks: a failed check is the likely cause;
    /// with every check right, what Exchange Online's side lacks.
    public static func likelyCause(reply: Reply, explanation: ReplyExplanation?, report: TokenReport, username: String) -> String {
        let problems = report.problems
        if !problems.isEmpty {
            return "the token itself: " + problems.map { "\($0.claim) \($0.value ?? ""): \($0.message)" }.joined(separator: "; ")
        }
        guard reply.code == 535, report.isJWT else {
            return explanation?.description ?? "the server refused (\(reply.singleLine)); the token's claims are right"
        }
        if report.isAppOnly == true {
            let oid = report.objectID ?? "OBJECT-ID"
            return "the token's claims are right (audience, SMTP.SendAsApp, tenant, application, expiry), so Exchange Online's side "
                + "is missing: the service principal \(oid) registered with New-ServicePrincipal, or its Add-MailboxPermission on \(username), "
                + "or SMTP AUTH enabled for the mailbox (" + ReplyCatalogue.mailboxSwitchAdvice + ")"
        }
        return "the token's claims are right (audience, SMTP.Send, tenant, application, expiry), so look at the mailbox: SMTP AUTH "
            + "enabled for it (" + ReplyCatalogue.mailboxSwitchAdvice + "), and the user name \(username) being the signed-in mailbox"
    }
}
