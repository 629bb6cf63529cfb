import Foundation

/// OAuth2Error is what goes wrong getting an access token: the identity platform refused
/// (with its AADSTS code and what to do about it), the network or TLS failed, the
/// configuration is incomplete, or a token command failed.
///
/// The description never holds a client secret, a refresh token, an access token or a wallet
/// password: messages are built from codes and fixed text, and text a server or a command
/// sent is passed through `redacting` before it is kept.
public struct OAuth2Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// Kind says what went wrong.
    public enum Kind: Sendable, Equatable {
        /// The client secret or certificate was refused (AADSTS7000215, 7000222, 700027, …).
        case invalidClient
        /// No such application in the tenant (AADSTS700016).
        case applicationNotFound
        /// No such tenant (AADSTS90002, 900023).
        case tenantNotFound
        /// Nobody consented to the permissions the app asks for (AADSTS65001).
        case consentRequired
        /// The refresh token (or the user's password) is no longer accepted: sign in again.
        case invalidGrant
        /// The scope is not one the platform knows for this app (AADSTS70011).
        case invalidScope
        /// The user declined the sign-in (device code flow).
        case authorizationDeclined
        /// The device code expired before anyone signed in (AADSTS70019).
        case expiredToken
        /// Any other refusal by the identity platform.
        case server
        /// The network failed (DNS, connect, timeout) or the server closed early.
        case network
        /// TLS failed: handshake, untrusted certificate, wrong host name.
        case tls
        /// The token endpoint answered with something that is not the expected JSON.
        case malformedResponse
        /// The credential or options lack something (tenant, client id, URL).
        case configuration
        /// The token command failed or printed no token.
        case tokenCommand
        /// The wallet could not be read or updated.
        case wallet
    }

    /// What went wrong.
    public let kind: Kind
    /// A sentence saying what happened and what to do.
    public let message: String
    /// The AADSTS code the identity platform sent, if any.
    public let aadsts: Int?
    /// The OAuth2 `error` field, e.g. `invalid_client`.
    public let oauthError: String?
    /// True when trying again later may succeed (network, TLS handshake, 5xx, throttling).
    public let isTransient: Bool

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, aadsts: Int? = nil, oauthError: String? = nil, transient: Bool = false) {
        self.kind = kind
        self.message = message
        self.aadsts = aadsts
        self.oauthError = oauthError
        self.isTransient = transient
    }

    /// `oauth2: AADSTS7000215 invalid client secret: …`.
    public var description: String { "oauth2: \(message)" }

    /// `text` with each of `secrets` (of 4 characters or more) replaced by `<redacted>`.
    public static func redacting(_ text: String, _ secrets: [String]) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 { result = result.replacingOccurrences(of: secret, with: "<redacted>") }
        return result
    }
}
