import ArgumentParser
import Foundation
import OAuth2
import SMTPConversation
import TrustStore

/// `smtp-wallet credential test ALIAS [--smtp HOST:PORT] [--json]`.
struct CredentialTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Get a token through the credential's own flow and check it offline; with --smtp, also try it on a server.",
        discussion: """
            The token's JWT claims are read (never printed, nor the secret) and checked: aud is \
            Exchange Online (https://outlook.office365.com), roles holds SMTP.SendAsApp (client \
            credentials) or scp holds SMTP.Send (delegated), tid is the credential's tenant (when \
            it is given as an id), appid/azp is its client id, exp is in the future. For an app-only \
            token the service principal's object id (oid) is printed for New-ServicePrincipal and \
            Add-MailboxPermission. A token that is not a JWT is reported as opaque. \
            With --smtp HOST:PORT: EHLO, STARTTLS, EHLO, AUTH XOAUTH2, and a refusal is joined with \
            the checks to name the likely cause. A refresh-token credential is rotated as in any use.
            Exit status: 0 all checks held (and the server accepted the token); 1 a check failed or \
            the server refused; 2 the test could not run (wallet, credential, identity platform, network).
            """)

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Argument(help: "The credential's name.")
    var alias: String

    @Option(help: ArgumentHelp("Also try the token on this server (STARTTLS, then AUTH XOAUTH2).", valueName: "HOST:PORT"))
    var smtp: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "Trust this CA for the token endpoint and the SMTP server instead of the system's (the SMTP server: else the wallet's certificates).",
        valueName: "PEM"))
    var caFile: String?

    @Option(help: "The mailbox XOAUTH2 names (default: the credential's user name).")
    var username: String?

    @Option(help: ArgumentHelp("Seconds for each network step.", valueName: "SECONDS"))
    var timeout: Double = 30

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if let smtp {
            guard let parsed = try? HostPort(parsing: smtp), !parsed.host.isEmpty, (try? parsed.port()) != nil else {
                throw ValidationError("--smtp takes HOST:PORT with a port from 1 to 65535, e.g. smtp.office365.com:587, not '\(smtp)'")
            }
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0") }
    }

    func run() throws {
        var diagnosis: CredentialDiagnosis!
        try Failure.guarding {
            let walletSecret = try password.forOpening(wallet.path)
            let settings = WalletTokens.Settings(http: HTTPSClient(caFile: caFile, timeout: timeout))
            let user = try smtpUser(walletPassword: walletSecret)
            let checked: (diagnosis: CredentialDiagnosis, token: AccessToken)
            do {
                checked = try CredentialDiagnosis.checkToken(alias: alias, username: username, walletPath: wallet.path,
                                                             walletPassword: walletSecret, settings: settings)
            } catch let error as OAuth2Error {
                throw CLIError("credential \(alias): \(error.message)")
            }
            diagnosis = checked.diagnosis
            if let smtp, let user, let target = try? HostPort(parsing: smtp), let port = (try? target.port()) ?? nil {
                var tls = TLSConfiguration(trust: .system)
                if let caFile {
                    tls.trust = .pemFile(caFile)
                } else if let opened = try? Wallet.open(wallet.path, password: walletSecret, readingManifest: false), !opened.certificates.isEmpty {
                    tls.trust = .provider(opened)
                }
                diagnosis.smtp = SMTPTrial.run(host: target.host, port: port, tls: tls, username: user, token: checked.token,
                                               report: diagnosis.report, timeout: timeout)
            }
        }
        if json { Output.line(CredentialTestOutput.json(diagnosis)) } else { diagnosis.lines.forEach(Output.line) }
        if let failure = diagnosis.smtp?.failure {
            Output.note("smtp-wallet: \(failure)")
            throw ExitCode(2)
        }
        if !diagnosis.isOK { throw ExitCode(1) }
    }
}

extension CredentialTest {
    /// The mailbox XOAUTH2 names with `--smtp`, by the one rule (`CredentialResolver`):
    /// `--username` wins, else the credential's own. Settled before any token is asked for, so
    /// a credential with neither stops the test (exit 2) before anything is sent anywhere.
    /// - Returns: nil without `--smtp`, where no user name is needed.
    func smtpUser(walletPassword: String) throws -> String? {
        guard smtp != nil else { return nil }
        do throws(OAuth2Error) {
            return try CredentialResolver.resolve(alias: alias, username: username, walletPath: wallet.path,
                                                  walletPassword: walletPassword).username
        } catch {
            let hint = error.kind == .configuration ? "; give --username" : ""
            throw CLIError("credential \(alias): \(error.message)\(hint)")
        }
    }
}

/// How `credential test --json` prints a diagnosis (the text form is `CredentialDiagnosis.lines`).
/// It holds no token and no secret.
enum CredentialTestOutput {
    static func json(_ diagnosis: CredentialDiagnosis) -> String {
        let report = diagnosis.report
        var object: [String: Any] = [
            "alias": diagnosis.credential.alias, "kind": diagnosis.credential.kind.rawValue,
            "token": report.isJWT ? "jwt" : "opaque", "ok": diagnosis.isOK,
            "checks": report.findings.map { finding -> [String: Any] in
                var item: [String: Any] = ["claim": finding.claim, "result": finding.result.rawValue, "message": finding.message]
                if let value = finding.value { item["value"] = value }
                return item
            },
        ]
        if let appOnly = report.isAppOnly { object["appOnly"] = appOnly }
        if let oid = report.objectID { object["objectId"] = oid }
        if let trial = diagnosis.smtp {
            var smtp: [String: Any] = ["server": trial.server, "steps": trial.steps, "accepted": trial.accepted]
            if let reply = trial.reply { smtp["reply"] = reply.singleLine }
            if let failure = trial.failure { smtp["failure"] = failure.description }
            if let explanation = trial.explanation {
                smtp["explanation"] = ["id": explanation.id, "vendor": explanation.vendor, "cause": explanation.cause, "fix": explanation.fix ?? ""]
            }
            if let cause = trial.likelyCause { smtp["likelyCause"] = cause }
            object["smtp"] = smtp
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
