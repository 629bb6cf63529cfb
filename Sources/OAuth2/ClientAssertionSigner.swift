import Foundation
import TrustStore

/// ClientAssertionSigner makes the signed JWT (RFC 7523) that proves an app's identity with a
/// certificate instead of a secret: header `{"alg":"RS256","typ":"JWT","x5t":…}`, claims
/// `aud` (the token URL), `iss` = `sub` (the client id), `jti`, `nbf`, `iat`, `exp` (10 minutes).
/// The key stays in the wallet's `ClientIdentity`, which signs.
public struct ClientAssertionSigner: Sendable {
    /// The certificate and key (from the wallet).
    public let identity: ClientIdentity
    /// The application (client) id.
    public let clientID: String

    /// Creates a signer.
    public init(identity: ClientIdentity, clientID: String) {
        self.identity = identity
        self.clientID = clientID
    }

    /// A new assertion for `audience` (the token URL).
    public func assertion(audience: String, now: Double) throws(OAuth2Error) -> String {
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "x5t": Base64URL.encode(identity.sha1Thumbprint)]
        let issued = Int(now)
        let claims: [String: Any] = [
            "aud": audience, "iss": clientID, "sub": clientID, "jti": UUID().uuidString,
            "nbf": issued, "iat": issued, "exp": issued + 600,
        ]
        guard let headerJSON = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]),
            let claimsJSON = try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw OAuth2Error(.configuration, "cannot encode the client assertion") }
        let signingInput = Base64URL.encode(Array(headerJSON)) + "." + Base64URL.encode(Array(claimsJSON))
        do {
            let signature = try identity.signRS256(Array(signingInput.utf8))
            return signingInput + "." + Base64URL.encode(signature)
        } catch {
            throw OAuth2Error(.wallet, "cannot sign the client assertion: \(error)")
        }
    }
}
