extension Wallet {
    /// Adds trusted certificates (DER); ones already in the wallet are skipped.
    /// - Parameters:
    ///   - source: recorded in the manifest, e.g. the file's path.
    ///   - renewal: how they are renewed.
    ///   - now: the time recorded as `added`.
    /// - Returns: the certificates actually added.
    /// - Throws: `WalletError.corrupt` when one is not a certificate.
    @discardableResult
    public mutating func add(
        _ ders: [[UInt8]], source: String, renewal: Manifest.Renewal = .manual, replaces: String? = nil,
        now: Double = WallClock.now()
    ) throws(WalletError) -> [WalletCertificate] {
        var present = Set(certificates.map(\.fingerprint))
        var added: [WalletCertificate] = []
        for der in ders {
            guard let certificate = WalletCertificate(der: der) else {
                throw WalletError(.corrupt, "\(source) holds data that is not an X.509 certificate")
            }
            guard !present.contains(certificate.fingerprint) else { continue }
            present.insert(certificate.fingerprint)
            trustedDER.append(der)
            let entry = Manifest.Entry(source: source, renewal: renewal, added: now, replaces: replaces)
            manifest.certificates[certificate.fingerprint] = entry
            added.append(WalletCertificate(der: der, entry: entry)!)
        }
        return added
    }

    /// Removes the certificates matching `selector`: a SHA-256 fingerprint (with or without
    /// colons, any case, or a unique prefix of at least 8 hex digits), a full subject
    /// (`CN=…,O=…`) or a common name.
    /// - Returns: the removed certificates.
    /// - Throws: `WalletError.invalidArgument` when nothing matches, or a fingerprint prefix is ambiguous.
    @discardableResult
    public mutating func remove(matching selector: String) throws(WalletError) -> [WalletCertificate] {
        let matches = try find(selector)
        let fingerprints = Set(matches.map(\.fingerprint))
        trustedDER.removeAll { der in WalletCertificate(der: der).map { fingerprints.contains($0.fingerprint) } ?? false }
        for fingerprint in fingerprints { manifest.certificates[fingerprint] = nil }
        return matches
    }

    /// The certificates `selector` names (see `remove(matching:)`).
    public func find(_ selector: String) throws(WalletError) -> [WalletCertificate] {
        let all = certificates
        let hex = selector.filter { $0 != ":" }.uppercased()
        if hex.count >= 8, hex.allSatisfy(\.isHexDigit) {
            let matches = all.filter { $0.fingerprint.filter { $0 != ":" }.hasPrefix(hex) }
            if matches.count > 1, hex.count < 64 {
                throw WalletError(.invalidArgument, "the fingerprint prefix \(selector) matches \(matches.count) certificates; give more digits")
            }
            if !matches.isEmpty { return matches }
        }
        let wanted = selector.lowercased()
        let matches = all.filter { $0.info.subject.lowercased() == wanted || $0.info.commonName?.lowercased() == wanted }
        guard !matches.isEmpty else {
            throw WalletError(.invalidArgument, "no certificate in \(directory) has the fingerprint, subject or common name '\(selector)'")
        }
        return matches
    }

    /// Stores a client certificate and its private key (PEM) for mutual TLS, replacing any.
    /// - Throws: `WalletError` when the key is not an unencrypted PEM key or does not match.
    public mutating func setIdentity(certificate der: [UInt8], privateKeyPEM: String, source: String,
                                     now: Double = WallClock.now()) throws(WalletError) {
        guard let certificate = WalletCertificate(der: der) else {
            throw WalletError(.corrupt, "\(source): the client certificate cannot be parsed")
        }
        let identity = ClientIdentity(certificate: der, privateKeyPEM: privateKeyPEM)
        // Fails now, with a clear message, rather than when the wallet is written.
        _ = try PKCS12Codec.write(.init(certificates: [], identity: identity), password: "")
        self.identity = identity
        manifest.certificates[certificate.fingerprint] = Manifest.Entry(source: source, renewal: .manual, added: now)
    }

    /// Forgets the client identity.
    public mutating func removeIdentity() { identity = nil }
}
