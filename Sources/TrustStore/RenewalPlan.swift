/// RenewalPlan is what a renewal would change: `--dry-run` prints it, `apply` makes it.
public struct RenewalPlan: Sendable {
    /// One change to the wallet.
    public enum Change: Sendable, CustomStringConvertible {
        /// Swap an expiring certificate for its renewed copy (same subject and key).
        case replace(old: WalletCertificate, new: WalletCertificate, source: String)
        /// Trust a new certificate (a successor root, or an anchor or intermediate a server needs).
        case add(WalletCertificate, source: String, reason: String)
        /// Record (or update) the certificates a host's chain needs, for `check`.
        case recordHost(Manifest.Host)

        /// One line for people.
        public var description: String {
            switch self {
            case .replace(let old, let new, let source):
                return "replace \(old.info.subject) (expires \(Dates.day(old.info.notAfter)), \(old.fingerprint.prefix(23))…) "
                    + "with its renewal (expires \(Dates.day(new.info.notAfter)), \(new.fingerprint.prefix(23))…) from \(source)"
            case .add(let certificate, let source, let reason):
                return "add \(certificate.info.subject) (expires \(Dates.day(certificate.info.notAfter)), "
                    + "\(certificate.fingerprint.prefix(23))…) from \(source): \(reason)"
            case .recordHost(let host):
                return "record \(host.address)\(host.starttls ? " (STARTTLS)" : "") as needing \(host.needs.count) wallet certificate(s)"
            }
        }
    }

    /// The changes, in order.
    public var changes: [Change] = []
    /// Things a person should know that are not changes (an expiring certificate with no successor).
    public var notes: [String] = []

    /// True when nothing would change.
    public var isEmpty: Bool { changes.isEmpty }

    /// Adds another plan's changes and notes, leaving out additions of a certificate this plan
    /// already adds or replaces with.
    public mutating func merge(_ other: RenewalPlan) {
        var planned = Set(changes.compactMap { change -> [UInt8]? in
            switch change {
            case .add(let certificate, _, _): return certificate.der
            case .replace(_, let new, _): return new.der
            case .recordHost: return nil
            }
        })
        for change in other.changes {
            if case .add(let certificate, _, _) = change, !planned.insert(certificate.der).inserted { continue }
            changes.append(change)
        }
        notes += other.notes
    }

    /// Creates a plan.
    public init(changes: [Change] = [], notes: [String] = []) {
        self.changes = changes
        self.notes = notes
    }
}

extension Wallet {
    /// Makes the plan's changes in this value (write it with `modify`).
    public mutating func apply(_ plan: RenewalPlan, now: Double = WallClock.now()) throws(WalletError) {
        for change in plan.changes {
            switch change {
            case .replace(let old, let new, let source):
                let index = trustedDER.firstIndex(of: old.der)
                trustedDER.removeAll { $0 == old.der }
                manifest.certificates[old.fingerprint] = nil
                if !trustedDER.contains(new.der) {
                    trustedDER.insert(new.der, at: index ?? trustedDER.endIndex)
                }
                manifest.certificates[new.fingerprint] = Manifest.Entry(
                    source: source, renewal: old.entry?.renewal ?? .bundle, added: now, replaces: old.fingerprint)
                for index in manifest.hosts.indices {
                    manifest.hosts[index].needs = manifest.hosts[index].needs.map { $0 == old.fingerprint ? new.fingerprint : $0 }
                }
            case .add(let certificate, let source, _):
                try add([certificate.der], source: source, renewal: source.contains("server:") ? .server : .bundle, now: now)
            case .recordHost(let host):
                manifest.hosts.removeAll { $0.host == host.host && $0.port == host.port }
                manifest.hosts.append(host)
            }
        }
    }
}
