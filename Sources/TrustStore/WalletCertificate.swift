import COpenSSL
import SMTPConversation

/// WalletCertificate is one trusted certificate of a wallet with what the manifest says about it.
public struct WalletCertificate: Sendable, Equatable {
    /// The DER encoding.
    public let der: [UInt8]
    /// Subject, issuer, validity, fingerprint.
    public let info: CertificateInfo
    /// Where it came from and how it is renewed; nil when the manifest does not know it.
    public let entry: Manifest.Entry?

    /// The SHA-256 fingerprint, `AB:CD:…`.
    public var fingerprint: String { info.sha256Fingerprint }

    /// Whole days from `now` until it expires; negative once expired.
    public func daysLeft(now: Double) -> Int {
        let seconds = info.notAfter - now
        return Int((seconds / 86400).rounded(.down))
    }

    /// True when it has expired at `now`.
    public func isExpired(now: Double) -> Bool { info.notAfter <= now }

    /// True when its validity has not begun at `now` (notBefore is later): TLS through it fails
    /// until then, as surely as through an expired one.
    public func isNotYetValid(now: Double) -> Bool { info.notBefore > now }

    /// Where `now` falls in a certificate's validity.
    public enum Validity: Sendable { case notYetValid, valid, expired }

    /// Where `now` falls in its validity (expired wins over not yet valid for a certificate
    /// whose dates are the wrong way round).
    public func validity(now: Double) -> Validity {
        isExpired(now: now) ? .expired : isNotYetValid(now: now) ? .notYetValid : .valid
    }

    /// Whole days from `now` until it becomes valid; 0 once it is.
    public func daysUntilValid(now: Double) -> Int {
        max(0, Int(((info.notBefore - now) / 86400).rounded(.up)))
    }

    /// True when subject and issuer are the same name and its own key verifies its signature.
    public var isSelfSigned: Bool {
        guard info.subject == info.issuer, let x509 = OpenSSL.x509(der: der) else { return false }
        defer { X509_free(x509) }
        guard let key = X509_get0_pubkey(x509) else { return false }
        let verified = X509_verify(x509, key) == 1
        ERR_clear_error()
        return verified
    }

    /// True when both certificates carry the same public key.
    public func hasSameKey(as other: WalletCertificate) -> Bool { publicKeyDER == other.publicKeyDER }

    /// The DER SubjectPublicKeyInfo.
    var publicKeyDER: [UInt8] {
        guard let x509 = OpenSSL.x509(der: der) else { return [] }
        defer { X509_free(x509) }
        guard let key = X509_get0_pubkey(x509) else { return [] }
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(key, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { CRYPTO_free(pointer, #file, #line) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    /// True when `issuer`'s key verifies this certificate's signature and the names chain.
    public func isIssued(by issuer: WalletCertificate) -> Bool {
        guard info.issuer == issuer.info.subject, let x509 = OpenSSL.x509(der: der), let parent = OpenSSL.x509(der: issuer.der)
        else { return false }
        defer {
            X509_free(x509)
            X509_free(parent)
        }
        guard let key = X509_get0_pubkey(parent) else { return false }
        let verified = X509_verify(x509, key) == 1
        ERR_clear_error()
        return verified
    }

    init?(der: [UInt8], entry: Manifest.Entry?) {
        guard let info = CertificateInfo(der: der) else { return nil }
        self.der = der
        self.info = info
        self.entry = entry
    }

    /// Wraps a parsed certificate (e.g. from a bundle or a server); nil when `der` is not one.
    public init?(der: [UInt8]) { self.init(der: der, entry: nil) }
}
