import Foundation
import OAuth2
import Testing
import TrustStore

/// `mail-queue send` checks an OAuth2 credential's token at start-up: a token Exchange Online
/// would refuse (here one for Microsoft Graph) stops it with exit 2 before anything is claimed;
/// a right one is used, and the message goes through aiosmtpd taking only such tokens.
@Suite(.serialized) struct QueueTokenCheckTests {
    static func queue(_ arguments: [String], database: String, environment: [String: String] = [:]) throws -> ProcessResult {
        try run(TestPaths.executable("mail-queue"), arguments + ["--database", database], environment: environment)
    }

    static func prepared(_ tokens: TokenServer) throws -> (wallet: String, database: String, id: String) {
        let wallet = try makeWallet(password: CredentialTestTests.walletPassword, credentials: [
            CredentialTestTests.appCredential("good", authority: tokens.authority),
            CredentialTestTests.appCredential("graph", scope: "https://graph.microsoft.com/.default", authority: tokens.authority),
        ])
        let database = "sqlite:" + (try temporaryDirectory()) + "/queue.sqlite"
        #expect(try queue(["init"], database: database).status == 0)
        let enqueued = try queue(["enqueue", "--from", "sender@contoso.com", "--to", "bob@example.com", "--subject", "s", "--body", "b"],
                                 database: database)
        return (wallet, database, enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func send(alias: String, port: Int, wallet: String, database: String) throws -> ProcessResult {
        try queue(["send", "--once", "--smtp", "127.0.0.1:\(port)", "--security", "starttls", "--ca-file", Paths.cert("ca.pem"),
                   "--token-ca-file", Paths.cert("ca.pem"), "--wallet", wallet, "--credential-alias", alias, "--timeout", "10"],
                  database: database, environment: ["MAIL_QUEUE_WALLET_PASSWORD": CredentialTestTests.walletPassword])
    }

    @Test func aTokenForTheWrongAudienceStopsTheQueueBeforeAnyClaim() throws {
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let (wallet, database, id) = try Self.prepared(tokens)
        // Nothing listens on this port: the sender must stop before it would connect.
        let result = try Self.send(alias: "graph", port: 9, wallet: wallet, database: database)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("credential graph: token aud https://graph.microsoft.com") && result.stderr.contains("Microsoft Graph"),
                "\(result.output)")
        #expect(result.stderr.contains("nothing was claimed"))
        #expect(!result.output.contains("eyJ") && !result.output.contains("right-secret"))
        let shown = try Self.queue(["show", id], database: database)
        #expect(shown.stdout.contains("status:      unsent") && shown.stdout.contains("attempts:    0"), "\(shown.output)")
    }

    @Test func aRightTokenIsSentWith() throws {
        guard let peer = try XOAUTH2Peer.start() else { return }
        defer { peer.stop() }
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let (wallet, database, id) = try Self.prepared(tokens)
        let result = try Self.send(alias: "good", port: peer.port, wallet: wallet, database: database)
        #expect(result.status == 0, "\(result.output)")
        let shown = try Self.queue(["show", id], database: database)
        #expect(shown.stdout.contains("status:      sent"), "\(shown.output)")
    }
}
