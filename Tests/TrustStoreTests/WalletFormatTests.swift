import Foundation
import Testing

@testable import TrustStore

/// The wallet directory: create, open, add, remove, list, and the errors a user can meet.
@Suite("Wallet format")
struct WalletFormatTests {
    @Test("create, add a PEM, a DER, a bundle and a directory, list, remove by fingerprint and by name")
    func lifecycle() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let path = temp.file("w")
        try Wallet.create("file:" + path, password: "pw")
        try openssl(["x509", "-in", TestEnvironment.cert("intermediate.pem"), "-outform", "DER", "-out", temp.file("i.der")])
        try FileManager.default.createDirectory(atPath: temp.file("dir"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestEnvironment.cert("self-signed.pem"), toPath: temp.file("dir/a.pem"))
        let bundle = try String(contentsOfFile: TestEnvironment.cert("ca.pem"), encoding: .utf8)
            + String(contentsOfFile: TestEnvironment.cert("server.pem"), encoding: .utf8)
        try bundle.write(toFile: temp.file("bundle.pem"), atomically: true, encoding: .utf8)

        let added = try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in
            var added: [WalletCertificate] = []
            for file in [temp.file("bundle.pem"), temp.file("i.der"), temp.file("dir"), TestEnvironment.cert("ca.pem")] {
                for item in try CertificateReader.certificates(atPath: file) { added += try wallet.add([item.der], source: item.file) }
            }
            return added
        }
        #expect(added.count == 4, "ca.pem the second time is skipped")
        var wallet = try Wallet.open(path, password: "pw")
        #expect(Set(wallet.certificates.compactMap(\.info.commonName))
            == ["smtp-conversation Test Root CA", "localhost", "smtp-conversation Test Intermediate CA"])
        #expect(wallet.certificates.first { $0.info.commonName == "smtp-conversation Test Intermediate CA" }?.entry?.source == temp.file("i.der"))

        let intermediate = try #require(wallet.certificates.first { $0.info.commonName == "smtp-conversation Test Intermediate CA" })
        try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in
            _ = try wallet.remove(matching: String(intermediate.fingerprint.filter { $0 != ":" }.lowercased().prefix(12)))
            _ = try wallet.remove(matching: "smtp-conversation Test Root CA")
        }
        wallet = try Wallet.open(path, password: "pw")
        #expect(wallet.certificates.count == 2)
        #expect(!wallet.certificates.contains { $0.fingerprint == intermediate.fingerprint })
        #expect(wallet.manifest.certificates[intermediate.fingerprint] == nil, "the manifest forgets what was removed")
        #expect(throws: WalletError.self) {
            try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in _ = try wallet.remove(matching: "CN=nobody") }
        }
    }

    @Test("an auto-login wallet has an empty password and mode 0600; a password wallet refuses the empty one")
    func autoLogin() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Wallet.create(temp.file("auto"), password: "")
        #expect(FileSystem.mode(temp.file("auto/ewallet.p12")) == 0o600)
        #expect(FileSystem.mode(temp.file("auto")) == 0o700)
        _ = try Wallet.open(temp.file("auto"))
        try Wallet.create(temp.file("locked"), password: "secret-pw")
        let error = try #require(throws: WalletError.self) { try Wallet.open(temp.file("locked")) }
        #expect(error.kind == .wrongPassword)
        #expect(error.description.contains("not an auto-login wallet"))
    }

    @Test("wrong password, corrupt file, missing directory, existing wallet: clear errors naming the file")
    func errors() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let path = temp.file("w")
        try Wallet.create(path, password: "right-password")
        let wrong = try #require(throws: WalletError.self) { try Wallet.open(path, password: "wrong-password") }
        #expect(wrong.kind == .wrongPassword && wrong.description.contains(path + "/ewallet.p12"))
        #expect(!wrong.description.contains("wrong-password") && !wrong.description.contains("right-password"))

        let exists = try #require(throws: WalletError.self) { try Wallet.create(path, password: "x") }
        #expect(exists.kind == .alreadyExists)

        let missing = try #require(throws: WalletError.self) { try Wallet.open(temp.file("nowhere")) }
        #expect(missing.kind == .notFound && missing.description.contains(temp.file("nowhere")))

        let bytes = try FileSystem.read(path + "/ewallet.p12")
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: path + "/ewallet.p12"))
        let corrupt = try #require(throws: WalletError.self) { try Wallet.open(path, password: "right-password") }
        #expect(corrupt.kind == .corrupt && corrupt.description.contains("not a PKCS#12"), "\(corrupt)")

    }

    @Test("a corrupt manifest: the error names the file and what is wrong, in plain words", arguments: [
        ("{ not json", "not valid JSON at line 1, column 3"),
        ("{\"version\": 1,\n\"certificates\": {},\n \"hosts\": [,]}", "not valid JSON at line 3, column 12"),
        ("{\"version\": 1, ", "not valid JSON (it ends too early)"),
        ("", "the file is empty"),
        ("{\"version\": 1}", "missing key \"certificates\""),
        ("{\"version\": \"1\", \"certificates\": {}, \"hosts\": []}", "\"version\" should be a number"),
        ("{\"version\": 1, \"certificates\": {}, \"hosts\": [{\"host\": \"h\", \"port\": \"25\"}]}", "\"hosts[0].port\" should be a number"),
    ])
    func corruptManifest(_ contents: String, _ problem: String) throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Wallet.create(temp.file("w"), password: "")
        try contents.write(toFile: temp.file("w/manifest.json"), atomically: false, encoding: .utf8)
        let error = try #require(throws: WalletError.self) { try Wallet.open(temp.file("w")) }
        #expect(error.kind == .corrupt)
        #expect(error.description == "wallet: \(temp.file("w/manifest.json")) is not a wallet manifest: \(problem)", "\(error)")
        let shown = try wallet(["display", "-w", temp.file("w")])
        #expect(shown.status == 2 && shown.stderr.contains(problem), "\(shown.output)")
        for swiftName in ["DecodingError", "Debug description", "CodingKeys", "Swift."] {
            #expect(!shown.stderr.contains(swiftName), "\(shown.stderr)")
        }
    }

    @Test("wallet_path forms", arguments: [
        ("file:/etc/wallet", "/etc/wallet"),
        ("file:relative/dir", "relative/dir"),
        ("file:c:/oracle/wallet", "c:/oracle/wallet"),
        ("file:///c:/oracle/wallet", "c:/oracle/wallet"),
        ("file:///etc/wallet/", "/etc/wallet"),
        ("file://localhost/etc/wallet", "/etc/wallet"),
        ("/etc/wallet", "/etc/wallet"),
        ("c:/dir", "c:/dir"),
        ("FILE:/a%20b", "/a b"),
        ("file:/etc/wallet/ewallet.p12", "/etc/wallet"),
    ])
    func walletPaths(form: String, directory: String) throws {
        #expect(try WalletLocation.directory(from: form) == directory)
    }

    @Test("wallet_path forms that cannot be a local directory are refused", arguments: ["", "file:", "file://server/share", "http://x/y"])
    func badWalletPaths(form: String) {
        #expect(throws: WalletError.self) { try WalletLocation.directory(from: form) }
    }

    @Test("a client identity is kept with its key, and a key that does not match is refused")
    func identity() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Wallet.create(temp.file("w"), password: "pw")
        let certificate = try CertificateReader.certificates(atPath: TestEnvironment.cert("client.pem"))[0].der
        let key = try String(contentsOfFile: TestEnvironment.cert("client.key"), encoding: .utf8)
        let wrongKey = try String(contentsOfFile: TestEnvironment.cert("server.key"), encoding: .utf8)
        #expect(throws: WalletError.self) {
            try Wallet.modify(temp.file("w"), password: "pw") { wallet throws(WalletError) in
                try wallet.setIdentity(certificate: certificate, privateKeyPEM: wrongKey, source: "t")
            }
        }
        try Wallet.modify(temp.file("w"), password: "pw") { wallet throws(WalletError) in
            try wallet.setIdentity(certificate: certificate, privateKeyPEM: key, source: "t")
        }
        let wallet = try Wallet.open(temp.file("w"), password: "pw")
        let pem = try #require(try wallet.clientIdentityPEM())
        #expect(pem.certificateChain.contains("BEGIN CERTIFICATE") && pem.privateKey.contains("PRIVATE KEY"))
        #expect(!"\(wallet.identity!)".contains("PRIVATE"), "the description never shows the key")
        #expect(wallet.trustedDER.isEmpty, "the identity is not a trust anchor")
    }
}

@Suite("Password sources")
struct PasswordSourceTests {
    @Test("--password-file reads the first line, whether it ends in LF or CRLF", arguments: ["pw-1\n", "pw-1\r\nsecond line\r\n", "pw-1"])
    func passwordFile(_ contents: String) throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try contents.write(toFile: temp.file("password"), atomically: true, encoding: .utf8)
        let created = try wallet(["create", "-w", temp.file("w"), "--password-file", temp.file("password")])
        #expect(created.status == 0, "\(created.output)")
        #expect(try Wallet.open(temp.file("w"), password: "pw-1").trustedDER.isEmpty)
    }

    @Test("credential add --secret-file reads the first line, whether it ends in LF or CRLF", arguments: ["s3cr3t\n", "s3cr3t\r\n"])
    func secretFile(_ contents: String) throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try contents.write(toFile: temp.file("secret"), atomically: true, encoding: .utf8)
        #expect(try wallet(["create", "-w", temp.file("w"), "--auto-login"]).status == 0)
        let added = try wallet(["credential", "add", "a1", "-w", temp.file("w"), "--auto-login", "--username", "u",
                                "--secret-file", temp.file("secret")])
        #expect(added.status == 0, "\(added.output)")
        #expect(try Wallet.open(temp.file("w")).credential("a1").secret.revealed == "s3cr3t")
    }
}
