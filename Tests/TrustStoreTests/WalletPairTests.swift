import Foundation
import SMTPConversation
import Testing

@testable import TrustStore

/// `ewallet.p12` and `manifest.json` change as a pair: a manifest names the PKCS#12 it was
/// written with, so a crash between the two renames (or a PKCS#12 restored from its backup) is
/// recognised and mended, and manifests of earlier versions still open.
@Suite("Wallet pair")
struct WalletPairTests {
    /// The two-root wallet of the safety tests, renewed once from a bundle by `smtp-wallet`
    /// killed at `stop` (a hidden flag); returns the PKI and the wallet's path.
    func renewalKilled(at stop: String) throws -> (pki: TestPKI, wallet: String) {
        let (pki, path) = try SafetyTests.twoExpiringRoots()
        let child = try StoppableChild(
            TestEnvironment.walletTool, ["renew", "-w", path, "--password-env", "PW", "--from-bundle", pki.path("a-new.pem"), stop],
            environment: ["PW": "pw"])
        #expect(child.waitUntilStopped())
        child.signal(SIGKILL)
        #expect(child.waitForExit() == 128 + SIGKILL)
        return (pki, path)
    }

    func entry(_ wallet: Wallet, commonName: String, der: [UInt8]) -> Manifest.Entry? {
        wallet.certificates.first { $0.der == der && $0.info.commonName == commonName }?.entry
    }

    @Test("killed between the renames: the new ewallet.p12 opens with its own manifest, and the next change puts it in place")
    func killedBetweenRenames() throws {
        let (pki, path) = try renewalKilled(at: "--stop-between-renames")
        defer { pki.remove() }
        let newA = try pki.certificates("a-new.pem")[0]
        // On disk: the new PKCS#12 beside the old manifest, which does not know the renewed root.
        let stale = try Manifest.decode(try FileSystem.read(path + "/manifest.json"), origin: "manifest.json")
        let renewedFingerprint = try #require(WalletCertificate(der: newA)).fingerprint
        #expect(stale.certificates[renewedFingerprint] == nil)

        let opened = try Wallet.open(path, password: "pw")
        #expect(opened.trustedDER.contains(newA))
        let renewed = try #require(entry(opened, commonName: "Root A", der: newA), "the renewed root's source is known, not 'unknown'")
        #expect(renewed.source.contains("a-new.pem") && renewed.replaces != nil)
        #expect(opened.warnings.contains { $0.contains("a change was interrupted") }, "\(opened.warnings)")

        // display says the same, and changes nothing.
        let shown = try wallet(["display", "-w", path, "--password-env", "PW"], environment: ["PW": "pw"])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(!shown.stdout.contains("unknown (not in the manifest)"), "\(shown.stdout)")
        #expect(shown.stderr.contains("warning:") && shown.stderr.contains("a change was interrupted"), "\(shown.stderr)")

        // The next change (here one with nothing to do) writes the manifest back, bound to the PKCS#12.
        let again = try wallet(["renew", "-w", path, "--password-env", "PW", "--from-bundle", pki.path("a-new.pem")], environment: ["PW": "pw"])
        #expect(again.status == 0, "\(again.output)")
        let repaired = try Manifest.decode(try FileSystem.read(path + "/manifest.json"), origin: "manifest.json")
        #expect(repaired.pkcs12SHA256 == OpenSSL.sha256Hex(try FileSystem.read(path + "/ewallet.p12")))
        #expect(repaired.certificates[renewedFingerprint]?.source.contains("a-new.pem") == true)
        #expect(try FileSystem.list(path).filter { $0.contains(".tmp-") }.isEmpty)
        #expect(try Wallet.open(path, password: "pw").warnings.isEmpty)
    }

    @Test("the reverse: ewallet.p12 put back from its backup finds its manifest in manifest.json.bak")
    func restoredBackup() throws {
        let (pki, path) = try SafetyTests.twoExpiringRoots()
        defer { pki.remove() }
        let oldA = try pki.certificates("a-old.pem")[0]
        try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in _ = try wallet.remove(matching: "Root A") }
        // The old PKCS#12 (with Root A) beside the new manifest (without it).
        try FileManager.default.removeItem(atPath: path + "/ewallet.p12")
        try FileManager.default.copyItem(atPath: path + "/ewallet.p12.bak", toPath: path + "/ewallet.p12")
        let opened = try Wallet.open(path, password: "pw")
        #expect(entry(opened, commonName: "Root A", der: oldA)?.source == "test", "Root A's entry comes from manifest.json.bak")
        #expect(opened.warnings.contains { $0.contains("restored from its backup") }, "\(opened.warnings)")

        // Without any manifest that matches, it opens with a warning rather than guessing.
        try FileManager.default.removeItem(atPath: path + "/manifest.json.bak")
        let unmatched = try Wallet.open(path, password: "pw")
        #expect(entry(unmatched, commonName: "Root A", der: oldA) == nil)
        #expect(unmatched.trustedDER.contains(oldA))
        #expect(unmatched.warnings.contains { $0.contains("was written for another ewallet.p12") }, "\(unmatched.warnings)")
    }

    @Test("a manifest written by an earlier version (no digest) opens as it is and is bound by the next change")
    func migration() throws {
        let (pki, path) = try SafetyTests.twoExpiringRoots()
        defer { pki.remove() }
        // Version 1 had neither the digest nor the version 2 field set.
        var legacy = try Manifest.decode(try FileSystem.read(path + "/manifest.json"), origin: "manifest.json")
        legacy.version = 1
        legacy.pkcs12SHA256 = nil
        let json = String(decoding: try legacy.encoded(), as: UTF8.self)
        #expect(!json.contains("pkcs12SHA256"))
        try json.write(toFile: path + "/manifest.json", atomically: true, encoding: .utf8)

        let opened = try Wallet.open(path, password: "pw")
        #expect(opened.warnings.isEmpty, "\(opened.warnings)")
        #expect(opened.certificates.allSatisfy { $0.entry?.source == "test" })
        try Wallet.modify(path, password: "pw") { _ throws(WalletError) in }
        let migrated = try Manifest.decode(try FileSystem.read(path + "/manifest.json"), origin: "manifest.json")
        #expect(migrated.version == 2)
        #expect(migrated.pkcs12SHA256 == OpenSSL.sha256Hex(try FileSystem.read(path + "/ewallet.p12")))
        #expect(migrated.certificates == legacy.certificates)
    }
}

/// Modes: a wallet others can change or read is refused where it is trusted or changed, and
/// reported by the commands that only read it.
@Suite("Wallet permissions")
struct WalletPermissionTests {
    func makeWallet() throws -> (TemporaryDirectory, String) {
        let temp = try TemporaryDirectory()
        let path = temp.file("w")
        try Wallet.create(path, password: "")
        try Wallet.modify(path, password: "") { wallet throws(WalletError) in
            try wallet.add(try CertificateReader.certificates(atPath: TestEnvironment.cert("ca.pem")).map(\.der), source: "ca.pem")
        }
        return (temp, path)
    }

    @Test("a wallet directory writable by others: refused by open, modify and TLS; display warns with the chmod")
    func worldWritableDirectory() throws {
        let (temp, path) = try makeWallet()
        defer { temp.remove() }
        chmod(path, 0o777)
        let refused = try #require(throws: WalletError.self) { try Wallet.open(path) }
        #expect(refused.kind == .insecure)
        #expect(refused.message.contains("writable by its group and others (mode 0777)") && refused.message.contains("chmod go-w \(path)"),
                "\(refused.message)")
        #expect(throws: WalletError.self) { try Wallet.modify(path, password: "") { _ throws(WalletError) in } }

        let added = try wallet(["add", "-w", path, TestEnvironment.cert("intermediate.pem")])
        #expect(added.status == 2 && added.stderr.contains("chmod go-w"), "\(added.output)")
        let shown = try wallet(["display", "-w", path])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.stderr.contains("warning:") && shown.stderr.contains("chmod go-w"), "\(shown.stderr)")
        #expect(shown.stdout.contains("smtp-conversation Test Root CA"))

        let tls = try #require(throws: SMTPError.self) {
            try SMTPConnection.openConnection(host: "127.0.0.1", port: 9, txTimeout: 2, walletPath: path)
        }
        #expect(tls.description.contains("chmod go-w"), "\(tls.description)")

        chmod(path, 0o700)
        #expect(try Wallet.open(path).warnings.isEmpty)
    }

    @Test("an ewallet.p12 readable by others (as openssl pkcs12 -export writes it under umask 022) is refused with chmod 600")
    func readableByOthers() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let directory = temp.file("w")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["pkcs12", "-export", "-nokeys", "-in", TestEnvironment.cert("ca.pem"), "-out", directory + "/ewallet.p12", "-passout", "pass:pw"])
        chmod(directory + "/ewallet.p12", 0o644)
        let refused = try #require(throws: WalletError.self) { try Wallet.open(directory, password: "pw") }
        #expect(refused.kind == .insecure)
        #expect(refused.message.contains("readable by others (mode 0644)") && refused.message.contains("chmod 600 \(directory)/ewallet.p12"),
                "\(refused.message)")
        let listed = try wallet(["display", "-w", directory, "--password-env", "PW"], environment: ["PW": "pw"])
        #expect(listed.status == 0 && listed.stderr.contains("chmod 600"), "\(listed.output)")
        chmod(directory + "/ewallet.p12", 0o600)
        #expect(try Wallet.open(directory, password: "pw").certificates.count == 1)
    }

    @Test("create in an existing directory of ours that others can write to takes their write bits away")
    func createFixesDirectory() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let directory = temp.file("shared")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o777)
        let created = try wallet(["create", "-w", directory, "--auto-login"])
        #expect(created.status == 0, "\(created.output)")
        #expect(try #require(FileSystem.mode(directory)) & 0o022 == 0)
        #expect(try Wallet.open(directory).warnings.isEmpty)
    }

    @Test("ewallet.p12.bak is 0600 even when the file it copies was not")
    func backupMode() throws {
        let (temp, path) = try makeWallet()
        defer { temp.remove() }
        chmod(path + "/ewallet.p12", 0o640)
        try Wallet.modify(path, password: "") { wallet throws(WalletError) in
            try wallet.add(try CertificateReader.certificates(atPath: TestEnvironment.cert("intermediate.pem")).map(\.der), source: "i")
        }
        #expect(FileSystem.mode(path + "/ewallet.p12.bak") == 0o600)
        #expect(FileSystem.mode(path + "/manifest.json.bak") == 0o600)
        #expect(FileSystem.mode(path + "/ewallet.p12") == 0o600)
        #expect(try PKCS12Codec.read(try FileSystem.read(path + "/ewallet.p12.bak"), password: "", origin: "bak").certificates.count == 1)
    }

    @Test("a symbolic link planted as the lock file is refused, and what it points to is not created")
    func symlinkedLock() throws {
        let (temp, path) = try makeWallet()
        defer { temp.remove() }
        try FileManager.default.removeItem(atPath: path + "/.lock")
        let target = temp.file("planted")
        try FileManager.default.createSymbolicLink(atPath: path + "/.lock", withDestinationPath: target)
        let refused = try #require(throws: WalletError.self) { try Wallet.modify(path, password: "") { _ throws(WalletError) in } }
        #expect(refused.kind == .insecure && refused.message.contains("symbolic link"), "\(refused.message)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
