/// ExpiryReport is `smtp-wallet check`: every certificate's days left, and which ones a
/// configured host needs.
public struct ExpiryReport: Sendable {
    /// One certificate's state.
    public struct Item: Sendable {
        /// The certificate.
        public let certificate: WalletCertificate
        /// Whole days left; negative once expired.
        public let daysLeft: Int
        /// The configured hosts that need it (`host:port`); the client identity says `client identity`.
        public let neededBy: [String]
        /// True when `check` looks at it: needed by a host, or every certificate when no host is configured.
        public let isChecked: Bool
        /// True when it is checked and expires within the threshold.
        public let isFailing: Bool
        /// True when its validity has not begun yet (notBefore after the time of the check).
        public let isNotYetValid: Bool

        /// True when `check` fails because of it: it is checked, and it expires within the
        /// threshold or is not valid yet (a TLS handshake fails through either).
        public var failsCheck: Bool { isFailing || (isChecked && isNotYetValid) }
    }

    /// The threshold in days.
    public let days: Int
    /// Every certificate, the client identity first.
    public let items: [Item]

    /// True when a checked certificate expires within `days` or is not valid yet.
    public var failed: Bool { items.contains { $0.failsCheck } }
}

extension Wallet {
    /// Checks expiry: a needed certificate fails with fewer than `days` days left or not valid yet.
    ///
    /// Needed means: on the verified path of a configured host (recorded by `renew
    /// --from-server`), or the client identity; with no host configured, every certificate.
    public func expiryReport(days: Int = 30, now: Double = WallClock.now()) -> ExpiryReport {
        var needs: [String: [String]] = [:]
        for host in manifest.hosts {
            for fingerprint in host.needs { needs[fingerprint, default: []].append(host.address) }
        }
        let everything = manifest.hosts.isEmpty
        var items: [ExpiryReport.Item] = []
        func item(_ certificate: WalletCertificate, neededBy: [String]) -> ExpiryReport.Item {
            let left = certificate.daysLeft(now: now)
            let checked = everything || !neededBy.isEmpty
            let failing = checked && (certificate.info.notAfter - now) < Double(days) * 86400
            return ExpiryReport.Item(
                certificate: certificate, daysLeft: left, neededBy: neededBy, isChecked: checked, isFailing: failing,
                isNotYetValid: certificate.isNotYetValid(now: now))
        }
        if let identity, let certificate = WalletCertificate(der: identity.certificate, entry: manifest.certificates[WalletCertificate(der: identity.certificate)?.fingerprint ?? ""]) {
            items.append(item(certificate, neededBy: ["client identity"]))
        }
        for certificate in certificates { items.append(item(certificate, neededBy: needs[certificate.fingerprint] ?? [])) }
        return ExpiryReport(days: days, items: items)
    }
}
