import SMTPConversation

/// ServerChain reads the certificate chain an SMTP server presents, without trusting it: the
/// handshake runs with verification off, and nothing read here is trusted until
/// `planRenewal(fromServerChain:...)` has verified it against the wallet and a chosen bundle.
public enum ServerChain {
    /// Connects, upgrades with STARTTLS (or uses implicit TLS), and returns the presented chain,
    /// leaf first (DER).
    /// - Parameters:
    ///   - starttls: true for STARTTLS (port 587/25), false for implicit TLS (port 465).
    ///   - timeout: seconds for connect, handshake and each reply.
    ///   - ehloDomain: the name sent in EHLO.
    /// - Throws: `WalletError.network` naming the host, port and the SMTP or TLS reason.
    public static func fetch(host: String, port: Int, starttls: Bool, timeout: Double = 30,
                             ehloDomain: String = "localhost") throws(WalletError) -> [[UInt8]] {
        // Verification is off only to read what the server sends; the caller verifies it.
        let options = SMTPConnection.Options(tls: TLSConfiguration(verifyPeer: false))
        do throws(SMTPError) {
            let connection = try SMTPConnection.openConnection(
                host: host, port: port, txTimeout: timeout, secureConnectionBeforeSMTP: !starttls, options: options)
            defer { connection.closeConnection() }
            if starttls {
                try connection.ehlo(ehloDomain)
                try connection.starttls()
                try connection.ehlo(ehloDomain)
            }
            let chain = connection.peerCertificates.map(\.der)
            _ = try? connection.quit()
            guard !chain.isEmpty else { throw SMTPError(.tls("the server presented no certificate")) }
            return chain
        } catch {
            throw WalletError(.network, "cannot read the certificate chain of \(host):\(port): \(error.description)")
        }
    }
}

extension Wallet {
    /// Plans a renewal from the chain a server presented (see `ServerChain.fetch`).
    ///
    /// The chain is verified with OpenSSL against the wallet's certificates plus `bundle`, with
    /// the host name checked, at `now`. Only when it verifies are the certificates of the
    /// verified path that the wallet lacks added: the trust anchor (always one from the wallet
    /// or the bundle, never one the server sent on its own say-so) and the intermediates.
    /// The host is recorded so `check` watches the certificates it needs.
    /// - Parameters:
    ///   - chain: as presented, leaf first.
    ///   - secureHost: the name the leaf must carry (defaults to `host`).
    /// - Throws: `WalletError.verificationFailed` with OpenSSL's reason; nothing is planned then.
    public func planRenewal(
        fromServerChain chain: [[UInt8]], host: String, port: Int, starttls: Bool, secureHost: String? = nil,
        bundle: [[UInt8]], bundleName: String, now: Double = WallClock.now()
    ) throws(WalletError) -> RenewalPlan {
        let path: [[UInt8]]
        do {
            path = try ChainVerifier.verify(chain: chain, trusted: trustedDER + bundle, host: secureHost ?? host, now: now)
        } catch {
            throw WalletError(.verificationFailed,
                "the chain \(host):\(port) presented does not verify against the wallet and \(bundleName): \(error.message); nothing was changed")
        }
        let source = "server:\(host):\(port)"
        var plan = RenewalPlan()
        let mine = Set(trustedDER)
        let needed = Array(path.dropFirst())
        for (offset, der) in needed.enumerated() where !mine.contains(der) {
            guard let certificate = WalletCertificate(der: der) else { continue }
            let isAnchor = offset == needed.count - 1
            // An anchor comes from the bundle (the wallet lacks it); intermediates come from the server.
            let origin = bundle.contains(der) ? "bundle:\(bundleName) for \(source)" : source
            plan.changes.append(.add(certificate, source: origin,
                                     reason: isAnchor ? "the trust anchor \(host):\(port) now chains to" : "an intermediate \(host):\(port) presents"))
        }
        let fingerprints = needed.compactMap { WalletCertificate(der: $0)?.fingerprint }
        let existing = manifest.hosts.first { $0.host == host && $0.port == port }
        if existing?.needs != fingerprints || existing?.starttls != starttls {
            plan.changes.append(.recordHost(Manifest.Host(host: host, port: port, starttls: starttls, needs: fingerprints, verified: now)))
        }
        return plan
    }
}
