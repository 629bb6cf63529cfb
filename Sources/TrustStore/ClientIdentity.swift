import SMTPConversation

/// ClientIdentity is a client certificate and its private key kept in the wallet, for mutual
/// TLS (as in Oracle's wallets). Its description names the certificate, never the key.
public struct ClientIdentity: Sendable, CustomStringConvertible {
    /// The client certificate, DER.
    public let certificate: [UInt8]
    /// The private key, PEM (PKCS#8). Secret: never print it.
    let privateKeyPEM: String

    /// Creates an identity; the key must match the certificate (checked when the wallet is saved).
    public init(certificate: [UInt8], privateKeyPEM: String) {
        self.certificate = certificate
        self.privateKeyPEM = privateKeyPEM
    }

    /// The certificate's fields.
    public var info: CertificateInfo? { CertificateInfo(der: certificate) }

    /// The subject, without the key.
    public var description: String { "ClientIdentity(\(info?.subject ?? "unreadable certificate"), key: redacted)" }
}
