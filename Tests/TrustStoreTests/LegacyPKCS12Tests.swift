import Foundation
import SMTPConversation
import Testing
import TrustStore

/// A wallet whose `ewallet.p12` was made with `openssl pkcs12 -export -legacy` (RC2-40
/// certificate bags, a 3DES key bag: what older orapki versions write) opens through OpenSSL's
/// legacy provider, read as it is; the next change rewrites it with modern algorithms and keeps
/// the legacy file as `.bak`. Without the legacy provider, the message says what the file is
/// and how to convert it.
@Suite("Legacy PKCS#12 wallets")
struct LegacyPKCS12Tests {
    static let password = "legacy-pw-41"

    /// A wallet directory (0700) holding only a legacy `ewallet.p12`: the client identity and the CA.
    static func legacyWallet() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o700)
        try openssl(["pkcs12", "-export", "-legacy", "-in", TestEnvironment.cert("client.pem"), "-inkey",
                     TestEnvironment.cert("client.key"), "-certfile", TestEnvironment.cert("ca.pem"),
                     "-out", directory.file("ewallet.p12"), "-passout", "pass:\(password)"])
        chmod(directory.file("ewallet.p12"), 0o600)
        // It is what the test claims: RC2-40 (pbeWithSHA1And40BitRC2-CBC) inside.
        let info = try run("openssl", ["pkcs12", "-info", "-legacy", "-noout", "-in", directory.file("ewallet.p12"),
                                       "-passin", "pass:\(password)"])
        #expect(info.stderr.contains("RC2") || info.stdout.contains("RC2"), "\(info.output)")
        return directory
    }

    @Test("opened read only through the legacy provider; the next change rewrites it and keeps the .bak")
    func opensAndRewrites() throws {
        let directory = try Self.legacyWallet()
        defer { directory.remove() }
        let original = try Data(contentsOf: URL(fileURLWithPath: directory.file("ewallet.p12")))
        let wallet = try Wallet.open(directory.path, password: Self.password)
        #expect(wallet.identity != nil)
        #expect(wallet.trustedDER.count == 1)
        #expect(wallet.warnings.contains { $0.contains("legacy PKCS#12") }, "\(wallet.warnings)")
        // Opening changed nothing.
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("ewallet.p12"))) == original)

        try Wallet.modify(directory.path, password: Self.password) { wallet throws(WalletError) in
            try wallet.add(CertificateReader.certificates(atPath: TestEnvironment.cert("intermediate.pem")).map(\.der), source: "intermediate.pem")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("ewallet.p12.bak"))) == original, "the legacy file kept as .bak")
        // The rewritten file needs no legacy algorithm: openssl reads it without -legacy.
        let listed = try run("openssl", ["pkcs12", "-in", directory.file("ewallet.p12"), "-nokeys", "-passin", "pass:\(Self.password)"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let reopened = try Wallet.open(directory.path, password: Self.password)
        #expect(reopened.identity != nil)
        #expect(!reopened.warnings.contains { $0.contains("legacy PKCS#12") }, "\(reopened.warnings)")
    }

    @Test("without the legacy provider: what the file is and how to convert it")
    func legacyProviderUnavailable() throws {
        let directory = try Self.legacyWallet()
        defer { directory.remove() }
        let modules = try TemporaryDirectory()
        defer { modules.remove() }
        let result = try wallet(["display", "-w", directory.path, "--password-env", "LEGACY_PW"],
                                environment: ["LEGACY_PW": Self.password, "OPENSSL_MODULES": modules.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("is a legacy PKCS#12 file"), "\(result.output)")
        #expect(result.stderr.contains("openssl pkcs12 -legacy -in ewallet.p12 -nodes -out wallet.pem"), "\(result.output)")
        #expect(!result.output.contains(Self.password))
    }
}
