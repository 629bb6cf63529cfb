extension Wallet {
    /// Plans a renewal from a PEM bundle (e.g. `/etc/ssl/certs/ca-certificates.crt`).
    ///
    /// For each wallet certificate that expires within `days` (or has expired):
    /// - a bundle certificate with the same subject and the same key that lives longer replaces it;
    /// - otherwise the bundle's successor roots are added: a self-signed root that lives longer and
    ///   either has the same subject (a re-keyed root) or is cross-signed by the expiring one (the
    ///   bundle holds a certificate for the successor's subject and key that the old root signed).
    ///
    /// The bundle is trusted as much as the wallet: choose it as you would choose a CA file.
    /// - Parameters:
    ///   - bundle: the bundle's certificates, DER.
    ///   - bundleName: recorded as the source, e.g. its path.
    public func planRenewal(fromBundle bundle: [[UInt8]], bundleName: String, days: Int = 30,
                            now: Double = WallClock.now()) -> RenewalPlan {
        let candidates = bundle.compactMap { WalletCertificate(der: $0) }.filter { !$0.isExpired(now: now) }
        let threshold = now + Double(days) * 86400
        var plan = RenewalPlan()
        var planned = Set(trustedDER)
        let source = "bundle:\(bundleName)"
        for old in certificates where old.info.notAfter < threshold {
            let renewed = candidates.filter {
                $0.info.subject == old.info.subject && $0.info.notAfter > old.info.notAfter && $0.hasSameKey(as: old)
            }.max { $0.info.notAfter < $1.info.notAfter }
            if let renewed {
                if !planned.contains(renewed.der) {
                    plan.changes.append(.replace(old: old, new: renewed, source: source))
                    planned.insert(renewed.der)
                }
                continue
            }
            let successors = successorRoots(of: old, in: candidates)
            for successor in successors where !planned.contains(successor.root.der) {
                plan.changes.append(.add(successor.root, source: source, reason: successor.reason))
                planned.insert(successor.root.der)
            }
            if successors.isEmpty {
                let state = old.isExpired(now: now) ? "expired on \(Dates.day(old.info.notAfter))"
                    : "expires in \(old.daysLeft(now: now)) days"
                plan.notes.append("\(old.info.subject) \(state) and \(bundleName) holds no renewal or successor for it")
            }
        }
        return plan
    }

    /// Self-signed roots in `candidates` that succeed `old`.
    func successorRoots(of old: WalletCertificate, in candidates: [WalletCertificate]) -> [(root: WalletCertificate, reason: String)] {
        let roots = candidates.filter { $0.info.notAfter > old.info.notAfter && $0.isSelfSigned && $0.der != old.der }
        var result: [(root: WalletCertificate, reason: String)] = []
        for root in roots {
            if root.info.subject == old.info.subject, old.isSelfSigned {
                result.append((root, "re-keyed successor of \(old.info.subject), which expires \(Dates.day(old.info.notAfter))"))
                continue
            }
            let crossSigned = candidates.contains { cross in
                cross.info.subject == root.info.subject && cross.isIssued(by: old) && cross.hasSameKey(as: root)
            }
            if crossSigned {
                result.append((root, "successor of \(old.info.subject) (cross-signed by it), which expires \(Dates.day(old.info.notAfter))"))
            }
        }
        return result
    }
}
