import Foundation

/// DeviceCodePrompt is what a person must see to sign in: go to `verificationURI` and type
/// `userCode` (Microsoft's `message` says both in the user's language).
public struct DeviceCodePrompt: Sendable, Equatable {
    /// The code to type, e.g. `ABCD-EFGH`.
    public let userCode: String
    /// Where to type it, e.g. `https://microsoft.com/devicelogin`.
    public let verificationURI: String
    /// The platform's own sentence saying both.
    public let message: String
    /// Seconds the code stays valid.
    public let expiresIn: Double
    /// Seconds to wait between polls, as the server asked.
    public let interval: Double
}

extension IdentityPlatform {
    /// Signs a person in with the device code flow (RFC 8628): asks for a code, calls `show`
    /// with what to tell the person, then polls the token endpoint every `interval` seconds
    /// (the server's), waiting while it says `authorization_pending`, slowing down by 5 s on
    /// `slow_down`, and stopping on `expired_token`, a refusal, or when the code's lifetime has
    /// passed. The returned token carries the refresh token to keep in the wallet.
    /// - Throws: `OAuth2Error` `.expiredToken`, `.authorizationDeclined`, and the usual ones.
    public func deviceCodeSignIn(clientID: String, scope: String = delegatedScope, show: (DeviceCodePrompt) -> Void)
        throws(OAuth2Error) -> AccessToken
    {
        let started = clock.now()
        let response = try http.post(deviceCodeURL, form: FormEncoding.encode([("client_id", clientID), ("scope", scope)]))
        guard response.status == 200 else { throw Self.error(from: response, url: deviceCodeURL, secrets: []) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
            let deviceCode = object["device_code"] as? String, let userCode = object["user_code"] as? String,
            let uri = (object["verification_uri"] ?? object["verification_url"]) as? String
        else { throw OAuth2Error(.malformedResponse, "the device code answer from \(deviceCodeURL) lacks device_code, user_code or verification_uri") }
        let expiresIn = Self.number(object["expires_in"]) ?? 900
        var interval = max(1, Self.number(object["interval"]) ?? 5)
        let prompt = DeviceCodePrompt(
            userCode: userCode, verificationURI: uri,
            message: object["message"] as? String ?? "To sign in, open \(uri) and enter the code \(userCode).",
            expiresIn: expiresIn, interval: interval)
        show(prompt)
        let deadline = started + expiresIn
        let fields = [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", clientID), ("device_code", deviceCode)]
        while true {
            guard clock.now() + interval <= deadline else {
                throw OAuth2Error(.expiredToken, "the device code expired after \(Int(expiresIn)) s before anyone signed in; start again and sign in within that time",
                                  oauthError: "expired_token")
            }
            clock.sleep(interval)
            do throws(OAuth2Error) {
                return try token(fields, secrets: [deviceCode])
            } catch where error.oauthError == "authorization_pending" {
                continue
            } catch where error.oauthError == "slow_down" {
                interval += 5
            } catch where error.oauthError == "expired_token" {
                throw OAuth2Error(.expiredToken, "the device code expired before anyone signed in at \(uri); start again"
                    + (error.aadsts.map { " (AADSTS\($0))" } ?? ""), aadsts: error.aadsts, oauthError: "expired_token")
            }
        }
    }

    static func number(_ value: Any?) -> Double? {
        if let value = value as? Double { return value }
        if let value = value as? Int { return Double(value) }
        return (value as? String).flatMap(Double.init)
    }
}
