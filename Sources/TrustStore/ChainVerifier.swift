import COpenSSL

/// ChainVerifier checks a server's chain with OpenSSL's `X509_verify_cert`, the same check the
/// TLS handshake makes: signatures, validity at a given time, CA constraints, the host name.
enum ChainVerifier {
    /// Verifies `chain` (leaf first, as presented) against `trusted` anchors.
    /// - Parameters:
    ///   - host: the name or IP address the leaf must carry; nil skips the name check.
    ///   - now: the verification time, seconds since 1970.
    /// - Returns: the verified path, leaf first, trust anchor last (DER).
    /// - Throws: `WalletError.verificationFailed` naming the reason and the certificate.
    static func verify(chain: [[UInt8]], trusted: [[UInt8]], host: String?, now: Double) throws(WalletError) -> [[UInt8]] {
        guard let leafDER = chain.first, let leaf = OpenSSL.x509(der: leafDER) else {
            throw WalletError(.verificationFailed, "the server presented no certificate")
        }
        defer { X509_free(leaf) }
        var untrusted: [OpaquePointer] = []
        defer { untrusted.forEach { X509_free($0) } }
        for der in chain.dropFirst() {
            if let x509 = OpenSSL.x509(der: der) { untrusted.append(x509) }
        }
        guard let store = X509_STORE_new() else { throw WalletError(.io, "out of memory") }
        defer { X509_STORE_free(store) }
        for der in trusted {
            guard let x509 = OpenSSL.x509(der: der) else { continue }
            X509_STORE_add_cert(store, x509)
            X509_free(x509)
        }
        ERR_clear_error()
        let stack = OpenSSL.stack(untrusted)
        defer { if let stack { shim_sk_X509_pop_free(stack) } }
        guard let context = X509_STORE_CTX_new() else { throw WalletError(.io, "out of memory") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf, stack) == 1 else {
            throw WalletError(.io, "cannot set up verification: \(OpenSSL.errors())")
        }
        let parameters = X509_STORE_CTX_get0_param(context)
        X509_VERIFY_PARAM_set_time(parameters, time_t(now))
        if let host {
            if isIPAddress(host) {
                X509_VERIFY_PARAM_set1_ip_asc(parameters, host)
            } else {
                X509_VERIFY_PARAM_set1_host(parameters, host, 0)
            }
        }
        X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER)
        guard X509_verify_cert(context) == 1 else {
            let code = X509_STORE_CTX_get_error(context)
            let depth = X509_STORE_CTX_get_error_depth(context)
            let reason = String(cString: X509_verify_cert_error_string(Int(code)))
            var subject = ""
            if let current = X509_STORE_CTX_get_current_cert(context), let info = CertificateInfoBridge.subject(current) {
                subject = " (certificate at depth \(depth): \(info))"
            }
            ERR_clear_error()
            throw WalletError(.verificationFailed, "\(reason)\(subject)")
        }
        guard let verified = X509_STORE_CTX_get1_chain(context) else { throw WalletError(.io, "no verified chain") }
        defer { shim_sk_X509_pop_free(verified) }
        return OpenSSL.elements(verified).map(OpenSSL.der)
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." })
    }
}

/// Reads a subject from an X509 pointer via the DER round trip CertificateInfo understands.
enum CertificateInfoBridge {
    static func subject(_ x509: OpaquePointer) -> String? { WalletCertificate(der: OpenSSL.der(x509))?.info.subject }
}

extension Wallet {
    /// The trust anchors (and wallet intermediates) a server's chain verifies through.
    /// - Parameters:
    ///   - chain: the certificates the server presented, leaf first.
    ///   - host: the name the leaf must carry; nil skips the name check.
    /// - Returns: the wallet's certificates on the verified path, anchor last.
    /// - Throws: `WalletError.verificationFailed` when the wallet cannot verify the chain.
    public func anchors(for chain: [[UInt8]], host: String? = nil, now: Double = WallClock.now()) throws(WalletError) -> [WalletCertificate] {
        let path = try ChainVerifier.verify(chain: chain, trusted: trustedDER, host: host, now: now)
        let mine = Set(trustedDER)
        return path.filter { mine.contains($0) }.compactMap { der in certificates.first { $0.der == der } }
    }
}
