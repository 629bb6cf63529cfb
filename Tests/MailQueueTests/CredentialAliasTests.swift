import Foundation
import MailQueue
import SMTPConversation
import Testing

/// `mail-queue send` with a wallet credential, against a real server (aiosmtpd) that requires
/// AUTH before MAIL: `--user` wins over the credential's user name; without it the
/// credential's own user name is used; with no user name
/// anywhere, or a password without one, `send` stops with a configuration error (exit 2) before
/// claiming anything; and a 530 "authentication required" to MAIL is a configuration error
/// too: no attempt spent, the sender stopped, the requests back as they were.
@Suite("Queue: a wallet credential without --user, against a server requiring AUTH")
struct CredentialAliasTests {
    static let walletPassword = "queue-wallet-pw"

    /// A wallet with `smtp` (alice's password), `nouser` (a password with no user name) and
    /// `other` (alice's password filed under another user name).
    static func makeWallet() throws -> String {
        let wallet = try temporaryDirectory() + "/wallet"
        let tool = TestPaths.executable("smtp-wallet")
        let env = ["WALLET_PASSWORD": walletPassword, "SMTP_SECRET": AiosmtpdPeer.password]
        let created = try runProcess(tool, ["create", "-w", wallet, "--password-env", "WALLET_PASSWORD"], environment: env)
        #expect(created.status == 0, "\(created.output)")
        let credentials = [("smtp", ["--username", AiosmtpdPeer.user]), ("nouser", []), ("other", ["--username", "someone-else@example.com"])]
        for (alias, user) in credentials {
            let added = try runProcess(tool, ["credential", "add", alias, "-w", wallet, "--password-env", "WALLET_PASSWORD",
                                              "--kind", "password", "--secret-env", "SMTP_SECRET"] + user, environment: env)
            #expect(added.status == 0, "\(added.output)")
        }
        return wallet
    }

    /// `mail-queue send --once` against `peer` over STARTTLS, with `extra` arguments.
    static func send(_ database: String, peer: AiosmtpdPeer, _ extra: [String], environment: [String: String] = [:]) throws
        -> ProcessResult
    {
        try runProcess(TestEnvironment.binary, [
            "send", "--once", "--database", database, "--smtp", "127.0.0.1:\(peer.port)", "--security", "starttls",
            "--ca-file", TestEnvironment.cert("ca.pem"), "--helo", "client.example.com", "--timeout", "10",
        ] + extra, environment: ["MAIL_QUEUE_WALLET_PASSWORD": walletPassword].merging(environment) { $1 }, timeout: 120)
    }

    /// The checks, on a store and the `--database` value that reaches it.
    static func check(store: QueueStore, database: String) throws {
        guard let peer = try AiosmtpdPeer.start(authRequired: true) else { return }
        defer { peer.stop() }
        let wallet = try makeWallet()
        defer { try? FileManager.default.removeItem(atPath: (wallet as NSString).deletingLastPathComponent) }

        // No user name anywhere: exit 2 before anything is claimed.
        let waiting = try store.enqueue(textRequest(subject: "held"))
        let noUser = try send(database, peer: peer, ["--wallet", wallet, "--credential-alias", "nouser"])
        #expect(noUser.status == 2, "\(noUser.output)")
        #expect(noUser.stderr.contains("credential nouser has no user name"), "\(noUser.stderr)")
        // A password with no user name: the same.
        let passwordOnly = try send(database, peer: peer, [], environment: ["MAIL_QUEUE_SMTP_PASSWORD": "wonderland"])
        #expect(passwordOnly.status == 2, "\(passwordOnly.output)")
        #expect(passwordOnly.stderr.contains("a password needs a user name"), "\(passwordOnly.stderr)")
        var details = try store.details(waiting)
        #expect(details.status == .unsent && details.attempts == 0 && details.leaseOwner == nil, "\(details)")
        #expect(peer.envelopes().isEmpty)

        // No AUTH configured at all: the server's 530 to MAIL stops the sender, no attempt spent.
        let noAuth = try send(database, peer: peer, [])
        #expect(noAuth.status == 2, "\(noAuth.output)")
        #expect(noAuth.stderr.contains("530"), "\(noAuth.stderr)")
        details = try store.details(waiting)
        #expect(details.status == .unsent && details.attempts == 0 && details.leaseOwner == nil, "\(details)")
        #expect(details.lastError?.contains("530") == true, "\(details.lastError ?? "-")")
        #expect(peer.envelopes().isEmpty)

        // The credential's own user name: AUTH as alice, and the request is sent.
        let sent = try send(database, peer: peer, ["--wallet", wallet, "--credential-alias", "smtp"])
        #expect(sent.status == 0, "\(sent.output)")
        #expect(try store.details(waiting).status == .sent)
        let envelopes = peer.envelopes()
        #expect(envelopes.count == 1)
        #expect(envelopes.first?["authenticated"] as? Bool == true && envelopes.first?["login"] as? String == AiosmtpdPeer.user,
                "\(envelopes)")

        // --user wins over the credential's own user name: AUTH as alice with `other`'s password
        // (as `other`'s own user the server would refuse it).
        let second = try store.enqueue(textRequest(subject: "user from the flag"))
        let flagged = try send(database, peer: peer, ["--wallet", wallet, "--credential-alias", "other", "--user", AiosmtpdPeer.user])
        #expect(flagged.status == 0, "\(flagged.output)")
        #expect(try store.details(second).status == .sent)
        let logins = peer.envelopes().map { $0["login"] as? String }
        #expect(logins == [AiosmtpdPeer.user, AiosmtpdPeer.user], "\(logins)")
    }

    @Test("SQLite")
    func sqlite() throws {
        let (store, path) = try makeSQLiteStore()
        try Self.check(store: store, database: "sqlite:" + path)
    }

    @Test("PostgreSQL")
    func postgres() throws {
        try withPostgresQueue { store, url in try Self.check(store: store, database: url) }
    }
}
