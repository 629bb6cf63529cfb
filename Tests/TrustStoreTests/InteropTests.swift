import Foundation
import Testing

@testable import TrustStore

/// `openssl pkcs12` reads our wallets, and our wallet opens what it writes.
@Suite("PKCS#12 interop with openssl")
struct PKCS12InteropTests {
    @Test("openssl pkcs12 -nokeys lists what the wallet trusts (password and auto-login)", arguments: ["pw-123", ""])
    func opensslReadsWallet(password: String) throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Wallet.create(temp.file("w"), password: password)
        try Wallet.modify(temp.file("w"), password: password) { wallet throws(WalletError) in
            for file in ["ca.pem", "intermediate.pem"] {
                try wallet.add(try CertificateReader.certificates(atPath: TestEnvironment.cert(file)).map(\.der), source: file)
            }
        }
        let listed = try openssl(["pkcs12", "-in", temp.file("w/ewallet.p12"), "-nokeys", "-passin", "pass:\(password)"]).stdout
        #expect(listed.contains("CN = smtp-conversation Test Root CA"))
        #expect(listed.contains("CN = smtp-conversation Test Intermediate CA"))
        #expect(listed.components(separatedBy: "BEGIN CERTIFICATE").count == 3)
        let refused = try run("openssl", ["pkcs12", "-in", temp.file("w/ewallet.p12"), "-nokeys", "-passin", "pass:wrong"])
        #expect(refused.status != 0, "openssl also checks the MAC")
    }

    @Test("a PKCS#12 made by openssl pkcs12 -export -nokeys opens as a wallet and verifies a server")
    func walletReadsOpenSSL() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try FileManager.default.createDirectory(atPath: temp.file("w"), withIntermediateDirectories: true)
        try openssl(["pkcs12", "-export", "-nokeys", "-in", TestEnvironment.cert("ca.pem"), "-out", temp.file("w/ewallet.p12"),
                     "-passout", "pass:from-openssl"])
        // openssl writes it as umask allows (0644); a wallet readable by others is refused (WalletPermissionTests).
        chmod(temp.file("w/ewallet.p12"), 0o600)
        let wallet = try Wallet.open("file:" + temp.file("w"), password: "from-openssl")
        #expect(wallet.certificates.map(\.info.commonName) == ["smtp-conversation Test Root CA"])
        #expect(wallet.certificates.first?.entry == nil, "no manifest yet: source unknown")

        let server = try serve(starttlsTranscript, certificate: TestEnvironment.cert("server.pem"), key: TestEnvironment.cert("server.key"))
        defer { server.stop() }
        #expect(tlsFailure(walletPath: "file:" + temp.file("w"), server: server, password: "from-openssl") == nil)
    }

    @Test("a key and certificate made by openssl pkcs12 -export become the client identity")
    func identityFromOpenSSL() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try FileManager.default.createDirectory(atPath: temp.file("w"), withIntermediateDirectories: true)
        try openssl(["pkcs12", "-export", "-in", TestEnvironment.cert("client.pem"), "-inkey", TestEnvironment.cert("client.key"),
                     "-certfile", TestEnvironment.cert("ca.pem"), "-out", temp.file("w/ewallet.p12"), "-passout", "pass:pw"])
        chmod(temp.file("w/ewallet.p12"), 0o600)
        let wallet = try Wallet.open(temp.file("w"), password: "pw")
        #expect(wallet.identity?.info?.commonName == "alice")
        #expect(wallet.certificates.map(\.info.commonName) == ["smtp-conversation Test Root CA"])
    }
}
