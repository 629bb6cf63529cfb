/// TrustProvider gives the TLS transport the certificates it trusts; the wallet (TrustStore)
/// is one. The transport asks for DER-encoded certificates, so a provider needs no OpenSSL.
public protocol TrustProvider: Sendable {
    /// The DER-encoded trust anchors (and intermediates) to verify servers against.
    func trustedCertificatesDER() throws -> [[UInt8]]
    /// A client certificate chain and private key in PEM, for mutual TLS; nil when there is none.
    func clientIdentityPEM() throws -> (certificateChain: String, privateKey: String)?
}

extension TrustProvider {
    /// No client identity by default.
    public func clientIdentityPEM() throws -> (certificateChain: String, privateKey: String)? { nil }
}

/// TrustSource says where the certificates that verify a server come from.
public enum TrustSource: Sendable {
    /// The system's default CA store (OpenSSL's default paths, e.g. `/etc/ssl/certs`).
    case system
    /// A PEM file holding one or more CA certificates.
    case pemFile(String)
    /// A directory of PEM files (hashed, as `c_rehash` makes, or any `*.pem`/`*.crt` files).
    case pemDirectory(String)
    /// Any other source, e.g. a wallet.
    case provider(any TrustProvider)
}

/// TLSConfiguration is how a conversation verifies the server. The defaults are the safe ones:
/// TLS 1.2 or newer, the chain verified against `trust`, the host name checked.
public struct TLSConfiguration: Sendable {
    /// Where trusted certificates come from.
    public var trust: TrustSource
    /// The name the certificate must carry; nil uses the host connected to (UTL_SMTP's `secure_host`).
    public var secureHost: String?
    /// Verify the chain and the host name. Turning this off makes TLS useless against an active
    /// attacker; it exists for lab servers and is never the default.
    public var verifyPeer: Bool
    /// A client certificate and key (PEM files) for mutual TLS.
    public var clientCertificate: (certificatePath: String, keyPath: String)?

    /// Creates a configuration; by default the system trust store and full verification.
    public init(
        trust: TrustSource = .system, secureHost: String? = nil, verifyPeer: Bool = true,
        clientCertificate: (certificatePath: String, keyPath: String)? = nil
    ) {
        self.trust = trust
        self.secureHost = secureHost
        self.verifyPeer = verifyPeer
        self.clientCertificate = clientCertificate
    }
}
