import Foundation

/// TokenFinding is one offline check of an access token's claims: what was looked at, whether
/// it is right, the claim's value (never the token) and what to do.
public struct TokenFinding: Sendable, Equatable {
    /// The verdict.
    public enum Result: String, Sendable {
        /// The claim is what SMTP needs.
        case ok
        /// The claim will make Exchange Online refuse the token (535 5.7.3).
        case wrong
        /// Worth knowing, not checkable offline (e.g. the service principal's object id).
        case info
    }

    /// The claim, e.g. `aud`, `roles`, `scp`, `tid`, `appid`, `exp`, `oid`, `upn`, or `token`.
    public let claim: String
    /// The verdict.
    public let result: Result
    /// The claim's value as found (claims are not secret; the token is never shown).
    public let value: String?
    /// What it means and what to do.
    public let message: String

    /// Creates a finding.
    public init(claim: String, result: Result, value: String?, message: String) {
        self.claim = claim
        self.result = result
        self.value = value
        self.message = message
    }
}

/// TokenReport is every check of one token.
public struct TokenReport: Sendable, Equatable {
    /// False for an opaque token (other providers, token commands): nothing could be read.
    public let isJWT: Bool
    /// True for an app-only (client credentials) token, false for a delegated one, nil unknown.
    public let isAppOnly: Bool?
    /// The checks, in a fixed order.
    public let findings: [TokenFinding]

    /// Creates a report.
    public init(isJWT: Bool, isAppOnly: Bool?, findings: [TokenFinding]) {
        self.isJWT = isJWT
        self.isAppOnly = isAppOnly
        self.findings = findings
    }

    /// The checks that failed.
    public var problems: [TokenFinding] { findings.filter { $0.result == .wrong } }
    /// The service principal's (app-only) or user's object id.
    public var objectID: String? { findings.first { $0.claim == "oid" }?.value }
}

/// TokenChecks reads an access token's JWT claims without verifying its signature (the token
/// was just received over TLS from the identity platform; only Exchange can verify it) and
/// checks what Exchange Online's SMTP needs: the audience, the role or scope, the tenant, the
/// application, the expiry; for an app-only token it reports the service principal's object id
/// that `New-ServicePrincipal` and `Add-MailboxPermission` take.
public enum TokenChecks {
    /// What the token must be for.
    public struct Expectations: Sendable {
        /// The tenant the credential names (a GUID is compared with `tid`; a domain cannot be).
        public var tenant: String?
        /// The application (client) id the credential names.
        public var clientID: String?
        /// True for client credentials, false for a person's token, nil when the kind does not say (token command).
        public var appOnly: Bool?
        /// The mailbox XOAUTH2 will name (`user=`); a delegated token's user must be it.
        public var username: String?

        /// Creates expectations.
        public init(tenant: String? = nil, clientID: String? = nil, appOnly: Bool? = nil, username: String? = nil) {
            self.tenant = tenant
            self.clientID = clientID
            self.appOnly = appOnly
            self.username = username
        }
    }

    /// The audiences Exchange Online's SMTP accepts (its resource URIs and application id).
    public static let outlookAudiences = ["https://outlook.office365.com", "https://outlook.office.com", "00000002-0000-0ff1-ce00-000000000000"]
    static let graphAudiences = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"]

    /// Checks `token` against `expected` at time `now` (seconds since 1970).
    public static func check(_ token: AccessToken, expected: Expectations, now: Double) -> TokenReport {
        guard let claims = JWT.claims(of: token.value) else {
            return TokenReport(isJWT: false, isAppOnly: expected.appOnly, findings: [
                TokenFinding(claim: "token", result: .info, value: "opaque",
                             message: "the token is not a JWT (opaque, as other providers issue them); its claims cannot be checked offline, only by the server"),
            ])
        }
        var findings: [TokenFinding] = []
        let roles = strings(claims["roles"])
        let scopes = (claims["scp"] as? String)?.split(separator: " ").map(String.init)
        let tokenIsApp = (claims["idtyp"] as? String) == "app" || (scopes == nil && roles != nil)
        let appOnly = expected.appOnly ?? tokenIsApp
        findings.append(audience(claims["aud"]))
        if appOnly {
            if let scopes, roles == nil {
                findings.append(TokenFinding(claim: "scp", result: .wrong, value: scopes.joined(separator: " "),
                    message: "the credential uses client credentials but this is a delegated token (scp, no roles); SMTP.SendAsApp needs an app-only token"))
            } else if let roles, roles.contains("SMTP.SendAsApp") {
                findings.append(TokenFinding(claim: "roles", result: .ok, value: roles.joined(separator: " "), message: "holds SMTP.SendAsApp"))
            } else {
                findings.append(TokenFinding(claim: "roles", result: .wrong, value: roles?.joined(separator: " ") ?? "(none)",
                    message: "lacks SMTP.SendAsApp: in the app registration add API permission Office 365 Exchange Online › Application permissions › SMTP.SendAsApp and grant admin consent"))
            }
        } else if let scopes, scopes.contains("SMTP.Send") {
            findings.append(TokenFinding(claim: "scp", result: .ok, value: scopes.joined(separator: " "), message: "holds SMTP.Send"))
        } else {
            findings.append(TokenFinding(claim: "scp", result: .wrong, value: scopes?.joined(separator: " ") ?? "(none)",
                message: "lacks SMTP.Send: request the scope https://outlook.office.com/SMTP.Send offline_access (the credential's --scope) and consent to Office 365 Exchange Online › SMTP.Send"))
        }
        findings.append(tenant(claims["tid"] as? String, expected: expected.tenant))
        findings.append(application((claims["appid"] ?? claims["azp"]) as? String, expected: expected.clientID))
        findings.append(contentsOf: lifetime(exp: number(claims["exp"]), nbf: number(claims["nbf"]), now: now))
        if !appOnly, let expectedUser = expected.username, !expectedUser.isEmpty {
            let user = (claims["upn"] ?? claims["preferred_username"] ?? claims["unique_name"]) as? String
            if let user, user.lowercased() != expectedUser.lowercased() {
                findings.append(TokenFinding(claim: "upn", result: .wrong, value: user,
                    message: "the token is for \(user) but XOAUTH2 will name \(expectedUser): sign in as the mailbox, or give its user name"))
            } else if let user {
                findings.append(TokenFinding(claim: "upn", result: .ok, value: user, message: "the mailbox XOAUTH2 names"))
            }
        }
        if let oid = claims["oid"] as? String {
            let app = ((claims["appid"] ?? claims["azp"]) as? String) ?? expected.clientID ?? "APP-ID"
            let mailbox = expected.username.flatMap { $0.isEmpty ? nil : $0 } ?? "MAILBOX"
            findings.append(TokenFinding(claim: "oid", result: .info, value: oid, message: appOnly
                ? "the service principal's object id; Exchange Online must know it: New-ServicePrincipal -AppId \(app) -ObjectId \(oid), then Add-MailboxPermission -Identity \(mailbox) -User \(oid) -AccessRights FullAccess (compare with Get-ServicePrincipal)"
                : "the signed-in user's object id"))
        }
        return TokenReport(isJWT: true, isAppOnly: appOnly, findings: findings)
    }

    static func audience(_ value: Any?) -> TokenFinding {
        let audiences = strings(value) ?? []
        let shown = audiences.joined(separator: " ")
        let normalised = audiences.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.map { $0.lowercased() }
        if normalised.contains(where: outlookAudiences.contains) {
            return TokenFinding(claim: "aud", result: .ok, value: shown, message: "Exchange Online (Outlook)")
        }
        let what = normalised.contains(where: graphAudiences.contains) ? "Microsoft Graph" : "another resource"
        return TokenFinding(claim: "aud", result: .wrong, value: shown.isEmpty ? "(none)" : shown,
            message: "the token is for \(what), not https://outlook.office365.com: request the scope https://outlook.office365.com/.default (client credentials) or https://outlook.office.com/SMTP.Send (delegated) with the credential's --scope")
    }

    static func tenant(_ tid: String?, expected: String?) -> TokenFinding {
        guard let tid else { return TokenFinding(claim: "tid", result: .wrong, value: "(none)", message: "no tenant in the token") }
        guard let expected, isGUID(expected) else {
            return TokenFinding(claim: "tid", result: .info, value: tid,
                message: "the credential names its tenant as \(expected ?? "nothing") (not an id), which cannot be compared offline: compare with the tenant id in Entra ID › Overview")
        }
        if tid.lowercased() == expected.lowercased() { return TokenFinding(claim: "tid", result: .ok, value: tid, message: "the credential's tenant") }
        return TokenFinding(claim: "tid", result: .wrong, value: tid,
            message: "the token comes from another tenant than the credential's (\(expected)): use the mailbox's tenant in --tenant, and consent to the app there")
    }

    static func application(_ appid: String?, expected: String?) -> TokenFinding {
        guard let appid else { return TokenFinding(claim: "appid", result: .info, value: nil, message: "no appid or azp in the token") }
        guard let expected else { return TokenFinding(claim: "appid", result: .info, value: appid, message: "the application the token was issued to") }
        if appid.lowercased() == expected.lowercased() { return TokenFinding(claim: "appid", result: .ok, value: appid, message: "the credential's client id") }
        return TokenFinding(claim: "appid", result: .wrong, value: appid,
            message: "the token was issued to another application than the credential's client id (\(expected)); the token command or cache hands out someone else's token")
    }

    static func lifetime(exp: Double?, nbf: Double?, now: Double) -> [TokenFinding] {
        var findings: [TokenFinding] = []
        if let exp {
            let left = exp - now
            let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: exp))
            findings.append(left > 0
                ? TokenFinding(claim: "exp", result: .ok, value: when, message: "valid for \(Int(left / 60)) more minutes")
                : TokenFinding(claim: "exp", result: .wrong, value: when,
                               message: "expired \(Int(-left / 60)) minutes ago (by this host's clock): check the clock, or what hands out the token"))
        } else {
            findings.append(TokenFinding(claim: "exp", result: .wrong, value: "(none)", message: "no expiry in the token"))
        }
        if let nbf, nbf > now + 300 {
            findings.append(TokenFinding(claim: "nbf", result: .wrong, value: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: nbf)),
                message: "not valid yet by this host's clock: the clock is behind"))
        }
        return findings
    }

    static func strings(_ value: Any?) -> [String]? {
        if let list = value as? [String] { return list }
        if let one = value as? String { return [one] }
        return nil
    }

    static func number(_ value: Any?) -> Double? {
        if let value = value as? Double { return value }
        if let value = value as? Int { return Double(value) }
        return (value as? NSNumber)?.doubleValue
    }

    static func isGUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
