import SMTPConversation

/// The seam to the TLS transport: `TLSConfiguration(trust: .provider(wallet))`.
extension Wallet: TrustProvider {
    /// The wallet's trusted certificates, DER.
    public func trustedCertificatesDER() throws -> [[UInt8]] { trustedDER }

    /// The client certificate and key, PEM, when the wallet holds one (mutual TLS).
    public func clientIdentityPEM() throws -> (certificateChain: String, privateKey: String)? {
        guard let identity else { return nil }
        return (OpenSSL.pem(der: identity.certificate), identity.privateKeyPEM)
    }
}

extension Wallet {
    /// The trusted certificates as one PEM bundle (a CA file for other tools); never the key.
    public func pemBundle() -> String { trustedDER.map(OpenSSL.pem(der:)).joined() }
}
