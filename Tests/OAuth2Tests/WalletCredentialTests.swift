import Foundation
import OAuth2
import Testing
import TrustStore

/// Credentials in the wallet: stored encrypted in ewallet.p12 (never in the manifest), kept
/// across other edits, readable by openssl with the password, and `smtp-wallet credential`
/// never showing a secret.
@Suite struct WalletCredentialTests {
    static let secret = "s3cret-Value-4242"

    @Test(arguments: ["pw-1", ""])
    func credentialsSurviveOtherChangesAndStayOutOfTheManifest(password: String) throws {
        let path = try makeWallet(password: password, credentials: [
            .init(alias: "o365", username: "sender@contoso.com", kind: .clientSecret, secret: Self.secret, tenant: "t", clientID: "c"),
        ], identity: true)
        try Wallet.modify(path, password: password) { wallet throws(WalletError) in
            try wallet.add(CertificateReader.certificates(atPath: Paths.cert("ca.pem")).map(\.der), source: "ca.pem")
        }
        let wallet = try Wallet.open(path, password: password)
        #expect(wallet.trustedDER.count == 1)
        #expect(wallet.identity != nil)
        #expect(try wallet.credential("o365").secret.revealed == Self.secret)
        #expect(try wallet.credential("o365").tenant == "t")
        for file in ["manifest.json", "ewallet.p12"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path + "/" + file))
            #expect(bytes.range(of: Data(Self.secret.utf8)) == nil, "\(file) holds the secret in the clear")
        }
        // openssl still reads the wallet (certificates listed with -nokeys).
        let listed = try run("/usr/bin/env", ["openssl", "pkcs12", "-in", path + "/ewallet.p12", "-nokeys", "-passin", "pass:\(password)"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("BEGIN CERTIFICATE"))
    }

    @Test func wrongPasswordDoesNotRevealCredentials() throws {
        let path = try makeWallet(password: "right", credentials: [.init(alias: "p", username: "u", kind: .password, secret: Self.secret)])
        let error = try #require(throws: WalletError.self) { try Wallet.open(path, password: "wrong") }
        #expect(error.kind == .wrongPassword)
    }

    @Test func removeAndReplace() throws {
        let path = try makeWallet(password: "", credentials: [
            .init(alias: "a", username: "u", kind: .password, secret: "one-1"),
            .init(alias: "b", username: "u", kind: .password, secret: "two-2"),
        ])
        try Wallet.modify(path, password: "") { wallet throws(WalletError) in
            try wallet.removeCredential("a")
            try wallet.setCredential(.init(alias: "b", username: "v", kind: .password, secret: "three-3"))
        }
        let wallet = try Wallet.open(path, password: "")
        #expect(wallet.credentials.map(\.alias) == ["b"])
        #expect(try wallet.credential("b").secret.revealed == "three-3")
        #expect(throws: WalletError.self) { try Wallet.modify(path, password: "") { wallet throws(WalletError) in try wallet.removeCredential("a") } }
        let incomplete = WalletCredential(alias: "x", username: "u", kind: .clientSecret, secret: "s-1234")
        #expect(throws: WalletError.self) { try incomplete.validate() }
    }

    @Test func theCLIStoresListsAndRemovesWithoutShowingSecrets() throws {
        let path = try temporaryDirectory() + "/w"
        let env = ["WALLET_PW": "cli-wallet-pw", "O365_SECRET": Self.secret]
        let tool = Paths.walletTool
        #expect(try run(tool, ["create", "-w", path, "--password-env", "WALLET_PW"], environment: env).status == 0)
        let add = try run(tool, ["credential", "add", "o365", "-w", path, "--password-env", "WALLET_PW", "--kind", "client-secret",
                                 "--username", "sender@contoso.com", "--tenant", "contoso.onmicrosoft.com", "--client-id", "app-id",
                                 "--secret-env", "O365_SECRET"], environment: env)
        #expect(add.status == 0, "\(add.stderr)")
        let list = try run(tool, ["credential", "list", "-w", path, "--password-env", "WALLET_PW"], environment: env)
        #expect(list.status == 0)
        #expect(list.stdout.contains("o365"))
        #expect(list.stdout.contains("kind=client-secret"))
        #expect(list.stdout.contains("client_id=app-id"))
        for output in [add.stdout, add.stderr, list.stdout, list.stderr] { #expect(!output.contains(Self.secret)) }
        #expect(try Wallet.open(path, password: "cli-wallet-pw").credential("o365").secret.revealed == Self.secret)
        // A secret on the command line needs the user to insist.
        let argv = try run(tool, ["credential", "add", "x", "-w", path, "--password-env", "WALLET_PW", "--secret", "visible"], environment: env)
        #expect(argv.status != 0)
        #expect(argv.stderr.contains("--insecure-secret-on-command-line"))
        let remove = try run(tool, ["credential", "remove", "o365", "-w", path, "--password-env", "WALLET_PW"], environment: env)
        #expect(remove.status == 0)
        #expect(try Wallet.open(path, password: "cli-wallet-pw").credentials.isEmpty)
        let again = try run(tool, ["credential", "remove", "o365", "-w", path, "--password-env", "WALLET_PW"], environment: env)
        #expect(again.status == 2)
        #expect(again.stderr.contains("no credential 'o365'"))
    }
}
