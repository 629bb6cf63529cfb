import Foundation

/// AccessToken is a bearer token for XOAUTH2 with when it expires, and the refresh token that
/// came with it (device code and refresh flows). `description` never shows either token.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The access token. Secret: never print or log it.
    public let value: String
    /// When it expires, seconds since 1970 (by the clock that fetched it).
    public let expiresAt: Double
    /// The refresh token issued with it, if any. Secret.
    public let refreshToken: String?
    /// The scopes granted, as the server listed them.
    public let scope: String?

    /// Creates a token.
    public init(value: String, expiresAt: Double, refreshToken: String? = nil, scope: String? = nil) {
        self.value = value
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
        self.scope = scope
    }

    /// `AccessToken(<redacted>, expires at …)`.
    public var description: String {
        "AccessToken(<redacted>, expires at \(Int(expiresAt))\(refreshToken == nil ? "" : ", refresh token: <redacted>"))"
    }

    /// Same as `description`.
    public var debugDescription: String { description }

    /// The expiry and scope, never the tokens: what `dump` and debuggers show.
    public var customMirror: Mirror {
        Mirror(self, children: ["value": "<redacted>", "expiresAt": expiresAt,
                                "refreshToken": refreshToken == nil ? "nil" : "<redacted>", "scope": scope as Any])
    }

    /// Parses a successful token response (`access_token`, `expires_in`, `refresh_token`, `scope`).
    /// - Parameter now: when the request was sent (the expiry counts from there).
    static func parse(_ body: [UInt8], now: Double) throws(OAuth2Error) -> AccessToken {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw OAuth2Error(.malformedResponse, "the token endpoint's answer is not JSON")
        }
        guard let token = object["access_token"] as? String, !token.isEmpty else {
            throw OAuth2Error(.malformedResponse, "the token endpoint's answer has no access_token")
        }
        if let type = object["token_type"] as? String, type.lowercased() != "bearer" {
            throw OAuth2Error(.malformedResponse, "the token endpoint issued a '\(type)' token; XOAUTH2 needs a Bearer token")
        }
        let lifetime = (object["expires_in"] as? Double) ?? (object["expires_in"] as? String).flatMap(Double.init) ?? 3600
        return AccessToken(value: token, expiresAt: now + lifetime, refreshToken: object["refresh_token"] as? String,
                           scope: object["scope"] as? String)
    }
}

/// JWT reads the claims of a JSON Web Token without verifying it (only to check tokens we were
/// just given over TLS: `TokenChecks`).
enum JWT {
    static func claims(of token: String) -> [String: Any]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])) else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]
    }
}

/// Base64URL is RFC 4648 §5 without padding, as JWTs use it.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
