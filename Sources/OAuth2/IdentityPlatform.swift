import Foundation

/// IdentityPlatform talks to the Microsoft identity platform v2.0 endpoints of one tenant:
/// `POST {authority}/{tenant}/oauth2/v2.0/token` and `…/devicecode`, form-encoded, JSON back.
///
/// The authority is configurable so that sovereign clouds (`https://login.microsoftonline.us`,
/// `https://login.chinacloudapi.cn`) and tests (`https://127.0.0.1:PORT`) work the same way.
public struct IdentityPlatform: Sendable {
    /// The public cloud's authority.
    public static let defaultAuthority = "https://login.microsoftonline.com"
    /// The scope for app-only SMTP (client credentials): Exchange Online's `.default`.
    public static let appOnlyScope = "https://outlook.office365.com/.default"
    /// The scope for a person's SMTP (device code), with a refresh token.
    public static let delegatedScope = "https://outlook.office.com/SMTP.Send offline_access"

    /// The base URL, without a trailing slash.
    public let authority: String
    /// The tenant: a GUID, a domain, or `organizations`.
    public let tenant: String
    /// The HTTPS client (CA file, timeout).
    public var http: HTTPSClient
    /// The clock for expiry times and polling.
    public var clock: OAuth2Clock

    /// Creates a client for `tenant` at `authority` (nil: the public cloud).
    public init(tenant: String, authority: String? = nil, http: HTTPSClient = HTTPSClient(), clock: OAuth2Clock = .system) {
        var base = authority ?? Self.defaultAuthority
        while base.hasSuffix("/") { base.removeLast() }
        self.authority = base
        self.tenant = tenant
        self.http = http
        self.clock = clock
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    public var tokenURL: String { "\(authority)/\(FormEncoding.escape(tenant))/oauth2/v2.0/token" }
    /// `{authority}/{tenant}/oauth2/v2.0/devicecode`.
    public var deviceCodeURL: String { "\(authority)/\(FormEncoding.escape(tenant))/oauth2/v2.0/devicecode" }

    /// The client credentials grant with a client secret (app-only; for the unattended sender).
    public func clientCredentials(clientID: String, secret: String, scope: String = appOnlyScope) throws(OAuth2Error) -> AccessToken {
        try token([("client_id", clientID), ("scope", scope), ("client_secret", secret), ("grant_type", "client_credentials")],
                  secrets: [secret])
    }

    /// The client credentials grant with a signed JWT client assertion (a certificate).
    public func clientCredentials(clientID: String, assertion: String, scope: String = appOnlyScope) throws(OAuth2Error) -> AccessToken {
        try token([("client_id", clientID), ("scope", scope),
                   ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                   ("client_assertion", assertion), ("grant_type", "client_credentials")], secrets: [assertion])
    }

    /// The refresh token grant. The answer normally carries a new refresh token (rotation):
    /// store it, the old one may stop working.
    public func refresh(clientID: String, refreshToken: String, scope: String = delegatedScope, clientSecret: String? = nil)
        throws(OAuth2Error) -> AccessToken
    {
        var fields = [("client_id", clientID), ("scope", scope), ("refresh_token", refreshToken), ("grant_type", "refresh_token")]
        if let clientSecret { fields.append(("client_secret", clientSecret)) }
        return try token(fields, secrets: [refreshToken] + (clientSecret.map { [$0] } ?? []))
    }

    /// POSTs a token request; the access token or the mapped error.
    func token(_ fields: [(String, String)], secrets: [String]) throws(OAuth2Error) -> AccessToken {
        let sent = clock.now()
        let response = try http.post(tokenURL, form: FormEncoding.encode(fields))
        guard response.status == 200 else { throw Self.error(from: response, url: tokenURL, secrets: secrets) }
        return try AccessToken.parse(response.body, now: sent)
    }

    /// The error a non-200 answer means, with the AADSTS code explained; secrets redacted.
    static func error(from response: HTTPSClient.Response, url: String, secrets: [String]) -> OAuth2Error {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let oauthError = object?["error"] as? String
        let serverText = OAuth2Error.redacting(
            ((object?["error_description"] as? String) ?? "").components(separatedBy: "\r\n").first ?? "", secrets)
        var code = (object?["error_codes"] as? [Int])?.first
        if code == nil, let range = serverText.range(of: #"AADSTS\d+"#, options: .regularExpression) {
            code = Int(serverText[range].dropFirst(6))
        }
        let transient = response.status >= 500 || response.status == 429 || oauthError == "temporarily_unavailable"
        if let code, let explanation = AADSTS.explain(code) {
            return OAuth2Error(explanation.kind, "AADSTS\(code) \(explanation.text) (from \(url))", aadsts: code, oauthError: oauthError,
                               transient: transient)
        }
        let kind: OAuth2Error.Kind
        switch oauthError {
        case "invalid_client", "unauthorized_client": kind = .invalidClient
        case "invalid_grant", "interaction_required": kind = .invalidGrant
        case "invalid_scope": kind = .invalidScope
        case "expired_token": kind = .expiredToken
        case "authorization_declined", "access_denied": kind = .authorizationDeclined
        case nil where object == nil: kind = transient ? .server : .malformedResponse
        default: kind = .server
        }
        let what = [oauthError, code.map { "AADSTS\($0)" }].compactMap { $0 }.joined(separator: " ")
        let detail = serverText.isEmpty ? "" : ": \(serverText)"
        return OAuth2Error(kind, "the token endpoint \(url) answered HTTP \(response.status)\(what.isEmpty ? "" : " " + what)\(detail)",
                           aadsts: code, oauthError: oauthError, transient: transient)
    }
}
