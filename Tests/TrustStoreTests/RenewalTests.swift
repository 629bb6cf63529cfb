import Foundation
import SMTPConversation
import Testing

@testable import TrustStore

/// Renewal against PKI generated now: the wallet follows a server to its new root in one
/// command, and a bundle renews expiring roots.
@Suite("Renewal")
struct RenewalTests {
    /// A wallet that trusts only `old-root.pem`.
    func oldRootWallet(_ pki: TestPKI) throws -> String {
        let path = pki.path("wallet")
        try Wallet.create(path, password: "")
        try Wallet.modify(path, password: "") { wallet throws(WalletError) in
            try wallet.add(try CertificateReader.certificates(atPath: pki.path("old-root.pem")).map(\.der), source: "old-root.pem")
        }
        return path
    }

    @Test("renew --from-server follows the server from the old root to the new one; TLS fails before, works after")
    func serverMovesToNewRoot() throws {
        let pki = try TestPKI.rootMove()
        defer { pki.remove() }
        let walletPath = try oldRootWallet(pki)
        try pki.bundle("bundle.pem", ["new-root.pem", "old-root.pem"])

        // Before the move the server chains to the old root: the wallet trusts it.
        let before = try serve(starttlsTranscript, certificate: pki.path("old-chain.pem"), key: pki.path("server.key"))
        #expect(tlsFailure(walletPath: walletPath, server: before) == nil)
        before.stop()

        // The server moves; the wallet does not know the new root.
        let moved = try serve(starttlsTranscript, certificate: pki.path("new-chain.pem"), key: pki.path("server.key"))
        let failure = try #require(tlsFailure(walletPath: walletPath, server: moved))
        #expect(failure.contains("unknown issuer") || failure.contains("unable to get local issuer"), "\(failure)")
        moved.stop()

        // One command (dry run first: it changes nothing).
        let renewalServer = try serve(renewalTranscript, certificate: pki.path("new-chain.pem"), key: pki.path("server.key"), connections: 2)
        defer { renewalServer.stop() }
        let arguments = ["renew", "--wallet", "file:" + walletPath, "--from-server", "127.0.0.1:\(renewalServer.port)", "--starttls",
                         "--bundle", pki.path("bundle.pem")]
        let bytesBefore = try FileSystem.read(walletPath + "/ewallet.p12")
        let dry = try wallet(arguments + ["--dry-run"])
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.stdout.contains("would add CN=Test Global Root G2"), "\(dry.output)")
        #expect(try FileSystem.read(walletPath + "/ewallet.p12") == bytesBefore, "a dry run writes nothing")
        let renewed = try wallet(arguments)
        #expect(renewed.status == 0, "\(renewed.output)")
        #expect(renewed.stdout.contains("add CN=Test Global Root G2") && renewed.stdout.contains("add CN=Test TLS CA G2"), "\(renewed.output)")

        let wallet = try Wallet.open(walletPath)
        #expect(Set(wallet.certificates.compactMap(\.info.commonName)) == ["Test Global Root CA", "Test Global Root G2", "Test TLS CA G2"])
        let host = try #require(wallet.manifest.hosts.first)
        let newRoot = try #require(wallet.certificates.first { $0.info.commonName == "Test Global Root G2" })
        #expect(host.needs.last == newRoot.fingerprint, "the host is recorded as needing the new root")
        #expect(newRoot.entry?.source.contains("bundle:") == true)
        #expect(wallet.expiryReport(days: 30).failed == false, "the expiring old root is no longer needed")

        let after = try serve(starttlsTranscript, certificate: pki.path("new-chain.pem"), key: pki.path("server.key"))
        defer { after.stop() }
        #expect(tlsFailure(walletPath: walletPath, server: after) == nil)
    }

    @Test("renew --from-bundle follows a configured host to the successor root it now chains to")
    func bundleFollowsConfiguredHosts() throws {
        let pki = try TestPKI.rootMove()
        defer { pki.remove() }
        let walletPath = try oldRootWallet(pki)
        try pki.bundle("old-bundle.pem", ["old-root.pem"])
        try pki.bundle("new-bundle.pem", ["new-root.pem", "old-root.pem"])

        // The host is configured while it still chains to the old root.
        let first = try serve(renewalTranscript, certificate: pki.path("old-chain.pem"), key: pki.path("server.key"))
        let port = first.port
        let recorded = try wallet(["renew", "-w", walletPath, "--from-server", "127.0.0.1:\(port)", "--starttls",
                                   "--bundle", pki.path("old-bundle.pem")])
        #expect(recorded.status == 0, "\(recorded.output)")
        first.stop()
        _ = first.waitForOutcome(timeout: 10)
        #expect(try Wallet.open(walletPath).manifest.hosts.first?.port == port)

        // The host moves to the new root; a bundle renewal (no --from-server) follows it.
        let moved = try serve(renewalTranscript, certificate: pki.path("new-chain.pem"), key: pki.path("server.key"), port: port)
        defer { moved.stop() }
        let renewed = try wallet(["renew", "-w", walletPath, "--from-bundle", pki.path("new-bundle.pem")])
        #expect(renewed.status == 0, "\(renewed.output)")
        #expect(renewed.stdout.contains("add CN=Test Global Root G2"), "\(renewed.output)")
        #expect(try Wallet.open(walletPath).certificates.contains { $0.info.commonName == "Test Global Root G2" })
    }

    @Test("a chain that does not verify against the wallet and bundle changes nothing")
    func untrustedServerChangesNothing() throws {
        let pki = try TestPKI.rootMove()
        defer { pki.remove() }
        let walletPath = try oldRootWallet(pki)
        try pki.bundle("bundle.pem", ["old-root.pem"])  // the new root is not in the chosen bundle
        let server = try serve(renewalTranscript, certificate: pki.path("new-chain.pem"), key: pki.path("server.key"))
        defer { server.stop() }
        let before = try FileSystem.read(walletPath + "/ewallet.p12")
        let result = try wallet(["renew", "-w", walletPath, "--from-server", "127.0.0.1:\(server.port)", "--starttls",
                                 "--bundle", pki.path("bundle.pem")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("does not verify") && result.stderr.contains("nothing was changed"), "\(result.output)")
        #expect(try FileSystem.read(walletPath + "/ewallet.p12") == before)
    }

    @Test("the host name is checked before anything is trusted")
    func wrongHostChangesNothing() throws {
        let pki = try TestPKI.rootMove()
        defer { pki.remove() }
        let walletPath = try oldRootWallet(pki)
        let wallet = try Wallet.open(walletPath)
        let chain = try pki.certificates("new-chain.pem")
        let error = try #require(throws: WalletError.self) {
            try wallet.planRenewal(fromServerChain: chain, host: "mail.other.test", port: 587, starttls: true,
                                   bundle: try pki.certificates("new-root.pem"), bundleName: "b")
        }
        #expect(error.kind == .verificationFailed && error.message.contains("mismatch"), "\(error)")
        let plan = try wallet.planRenewal(fromServerChain: chain, host: "localhost", port: 587, starttls: true,
                                          bundle: try pki.certificates("new-root.pem"), bundleName: "b")
        #expect(plan.changes.count == 3, "new root, intermediate, host record")
    }

    @Test("implicit TLS: renew --from-server without --starttls")
    func implicitTLS() throws {
        let pki = try TestPKI.rootMove()
        defer { pki.remove() }
        let walletPath = try oldRootWallet(pki)
        let server = try serve("@tls\n220 mail.example.test ESMTP\n> QUIT\n221 bye\n", certificate: pki.path("new-chain.pem"), key: pki.path("server.key"))
        defer { server.stop() }
        let result = try wallet(["renew", "-w", walletPath, "--from-server", "127.0.0.1:\(server.port)", "--bundle", pki.path("new-root.pem")])
        #expect(result.status == 0, "\(result.output)")
        #expect(try Wallet.open(walletPath).certificates.contains { $0.info.commonName == "Test Global Root G2" })
        #expect(try Wallet.open(walletPath).manifest.hosts.first?.starttls == false)
    }

    @Test("renew --from-bundle replaces an expiring root by its re-issue (same subject and key) and adds a cross-signed successor")
    func fromBundle() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        // A: expiring in 5 days, re-issued for 20 years with the same key.
        try pki.root("a-old", subject: "/CN=Root A", days: 5, key: "a")
        try pki.root("a-new", subject: "/CN=Root A", days: 7300, key: "a")
        // B: expiring in 5 days; its successor B2 (new key) is cross-signed by B.
        try pki.root("b-old", subject: "/CN=Root B", days: 5)
        try pki.root("b2", subject: "/CN=Root B2", days: 7300)
        try pki.issue("b2-cross", subject: "/CN=Root B2", issuer: "b-old", days: 7300, kind: "ca", key: "b2")
        // C: expiring, with nothing in the bundle; D: far from expiry.
        try pki.root("c", subject: "/CN=Root C", days: 5)
        try pki.root("d", subject: "/CN=Root D", days: 7300)
        // A stranger with A's name but another key must not replace A.
        try pki.root("a-impostor", subject: "/CN=Root A", days: 9000)
        try pki.bundle("bundle.pem", ["a-new.pem", "a-impostor.pem", "b2.pem", "b2-cross.pem", "d.pem"])

        let path = pki.path("wallet")
        try Wallet.create(path, password: "pw")
        try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in
            for name in ["a-old", "b-old", "c", "d"] { try wallet.add(try pki.certificates("\(name).pem"), source: name) }
        }
        let dry = try wallet(["renew", "-w", path, "--password-env", "PW", "--from-bundle", pki.path("bundle.pem"), "--dry-run"],
                             environment: ["PW": "pw"])
        #expect(dry.status == 0 && dry.stdout.contains("would replace CN=Root A"), "\(dry.output)")
        #expect(dry.stdout.contains("note: CN=Root C expires in 4 days") || dry.stdout.contains("note: CN=Root C expires in 5 days"), "\(dry.output)")

        let result = try wallet(["renew", "-w", path, "--password-env", "PW", "--from-bundle", pki.path("bundle.pem")], environment: ["PW": "pw"])
        #expect(result.status == 0, "\(result.output)")
        let wallet = try Wallet.open(path, password: "pw")
        let aNew = try pki.certificates("a-new.pem")[0], aOld = try pki.certificates("a-old.pem")[0]
        #expect(wallet.trustedDER.contains(aNew) && !wallet.trustedDER.contains(aOld))
        #expect(!wallet.trustedDER.contains(try pki.certificates("a-impostor.pem")[0]), "same name, other key: not a renewal")
        #expect(wallet.trustedDER.contains(try pki.certificates("b2.pem")[0]))
        #expect(wallet.trustedDER.contains(try pki.certificates("b-old.pem")[0]), "the old root stays until it expires")
        #expect(!wallet.trustedDER.contains(try pki.certificates("b2-cross.pem")[0]), "the cross-certificate is evidence, not an anchor")
        let renewedA = try #require(wallet.certificates.first { $0.der == aNew })
        #expect(renewedA.entry?.replaces == WalletCertificate(der: aOld)?.fingerprint)
        #expect(wallet.certificates.count == 5)
    }
}
