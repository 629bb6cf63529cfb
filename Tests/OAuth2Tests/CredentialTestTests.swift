import Foundation
import OAuth2
import SMTPConversation
import Testing
import TrustStore

/// `smtp-wallet credential test`: tokens minted and signed by the local identity platform
/// (`token_server.py --jwt`, over TLS, form-encoded requests and JSON answers), each claim
/// right and each wrong, checked offline; `--smtp` against aiosmtpd taking only those tokens.
@Suite(.serialized) struct CredentialTestTests {
    static let tenantID = "11111111-2222-4333-8444-555555555555"
    static let walletPassword = "wallet-pw"

    static func appCredential(_ alias: String, client: String = "app-id", tenant: String = tenantID, scope: String? = nil,
                              authority: String) -> WalletCredential {
        WalletCredential(alias: alias, username: "sender@contoso.com", kind: .clientSecret, secret: "right-secret", tenant: tenant,
                         clientID: client, authority: authority, scope: scope)
    }

    /// Runs `smtp-wallet credential test ALIAS --json` (plus `extra`) and parses its answer.
    static func test(_ alias: String, wallet: String, _ extra: [String] = []) throws -> (status: Int32, json: [String: Any], output: String) {
        let result = try run(Paths.walletTool, ["credential", "test", alias, "-w", wallet, "--password-env", "WALLET_PW",
                                                "--ca-file", Paths.cert("ca.pem"), "--timeout", "20", "--json"] + extra,
                             environment: ["WALLET_PW": walletPassword])
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result.status, json, result.output)
    }

    static func results(_ json: [String: Any]) -> [String: String] {
        var map: [String: String] = [:]
        for check in json["checks"] as? [[String: Any]] ?? [] {
            if let claim = check["claim"] as? String, let result = check["result"] as? String { map[claim] = result }
        }
        return map
    }

    static func assertNoSecrets(_ output: String) {
        #expect(!output.contains("eyJ"), "a JWT was printed")
        #expect(!output.contains("right-secret") && !output.contains(walletPassword))
    }

    @Test func eachAppOnlyClaimRightAndWrong() throws {
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let authority = tokens.authority
        let wallet = try makeWallet(password: Self.walletPassword, credentials: [
            Self.appCredential("good", authority: authority),
            Self.appCredential("graph", scope: "https://graph.microsoft.com/.default", authority: authority),
            Self.appCredential("norole", client: "app-no-smtp-role", authority: authority),
            Self.appCredential("othertenant", client: "app-other-tenant", authority: authority),
            Self.appCredential("expired", client: "app-expired", authority: authority),
            Self.appCredential("otherapp", client: "app-appid-mismatch", authority: authority),
            Self.appCredential("bydomain", tenant: "contoso.onmicrosoft.com", authority: authority),
        ])
        let good = try Self.test("good", wallet: wallet)
        #expect(good.status == 0, "\(good.output)")
        #expect(Self.results(good.json) == ["aud": "ok", "roles": "ok", "tid": "ok", "appid": "ok", "exp": "ok", "oid": "info"], "\(good.output)")
        #expect(good.json["objectId"] as? String == "5ee0b6a1-0c5d-4f3e-9a7b-3c2d1e0f9a8b")
        #expect(good.json["appOnly"] as? Bool == true && good.json["token"] as? String == "jwt")
        Self.assertNoSecrets(good.output)

        for (alias, claim) in [("graph", "aud"), ("norole", "roles"), ("othertenant", "tid"), ("expired", "exp"), ("otherapp", "appid")] {
            let answer = try Self.test(alias, wallet: wallet)
            #expect(answer.status == 1, "\(alias): \(answer.output)")
            let results = Self.results(answer.json)
            #expect(results[claim] == "wrong", "\(alias): \(answer.output)")
            #expect(results.filter { $0.value == "wrong" }.count == 1, "only \(claim) is wrong for \(alias): \(results)")
            Self.assertNoSecrets(answer.output)
        }
        let graph = try Self.test("graph", wallet: wallet)
        let aud = (graph.json["checks"] as? [[String: Any]])?.first { $0["claim"] as? String == "aud" }
        #expect((aud?["message"] as? String)?.contains("Microsoft Graph") == true, "\(graph.output)")
        // A tenant named by its domain cannot be compared offline: reported, not failed.
        let byDomain = try Self.test("bydomain", wallet: wallet)
        #expect(byDomain.status == 0 && Self.results(byDomain.json)["tid"] == "info", "\(byDomain.output)")
    }

    @Test func theTextFormNamesTheFindingAndTheObjectID() throws {
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let wallet = try makeWallet(password: Self.walletPassword, credentials: [
            Self.appCredential("norole", client: "app-no-smtp-role", authority: tokens.authority),
        ])
        let result = try run(Paths.walletTool, ["credential", "test", "norole", "-w", wallet, "--password-env", "WALLET_PW",
                                                "--ca-file", Paths.cert("ca.pem")], environment: ["WALLET_PW": Self.walletPassword])
        #expect(result.status == 1)
        #expect(result.stdout.contains("wrong  roles Mail.Send: lacks SMTP.SendAsApp"), "\(result.output)")
        #expect(result.stdout.contains("New-ServicePrincipal -AppId app-no-smtp-role -ObjectId 5ee0b6a1-0c5d-4f3e-9a7b-3c2d1e0f9a8b"))
        #expect(result.stdout.contains("result: 1 finding"))
        Self.assertNoSecrets(result.output)
    }

    @Test func delegatedTokensNeedSMTPSendInScp() throws {
        for (scope, expected) in [(nil as String?, "ok"), ("https://outlook.office.com/Mail.Read offline_access", "wrong")] {
            let tokens = try TokenServer(jwt: true)  // one each: refresh tokens rotate
            defer { tokens.stop() }
            let wallet = try makeWallet(password: Self.walletPassword, credentials: [
                WalletCredential(alias: "me", username: "sender@contoso.com", kind: .refreshToken, secret: "rt-initial",
                                 tenant: Self.tenantID, clientID: "device-app-pending", authority: tokens.authority, scope: scope),
            ])
            let answer = try Self.test("me", wallet: wallet)
            let results = Self.results(answer.json)
            #expect(results["scp"] == expected && results["upn"] == "ok" && results["aud"] == "ok", "\(answer.output)")
            #expect(answer.json["appOnly"] as? Bool == false)
            #expect(answer.status == (expected == "ok" ? 0 : 1))
            #expect(!answer.output.contains("rt-"), "no refresh token printed")
            Self.assertNoSecrets(answer.output)
        }
    }

    @Test func anOpaqueTokenIsReportedNotFailed() throws {
        let wallet = try makeWallet(password: Self.walletPassword, credentials: [
            WalletCredential(alias: "cmd", username: "me@example.com", kind: .tokenCommand, secret: "", tokenCommand: "echo ya29.opaque-token-from-elsewhere"),
        ])
        let answer = try Self.test("cmd", wallet: wallet)
        #expect(answer.status == 0, "\(answer.output)")
        #expect(answer.json["token"] as? String == "opaque")
        #expect(Self.results(answer.json) == ["token": "info"])
        #expect(!answer.output.contains("opaque-token-from-elsewhere"))
    }

    @Test func usageAndMissingCredential() throws {
        let wallet = try makeWallet(password: Self.walletPassword, credentials: [])
        let missing = try Self.test("nosuch", wallet: wallet)
        #expect(missing.status == 2 && missing.output.contains("nosuch"), "\(missing.output)")
        let badServer = try Self.test("nosuch", wallet: wallet, ["--smtp", "mail.example.com"])
        #expect(badServer.status == 2 && badServer.output.contains("--smtp takes HOST:PORT"), "\(badServer.output)")
    }

    /// `--smtp` names a mailbox by the one rule (`CredentialResolver`): `--username` wins, else
    /// the credential's own; with neither, the test stops (exit 2, a configuration error) before
    /// any token is asked for, so nothing is sent anywhere.
    @Test func smtpWithNoUserNameStopsBeforeAnyToken() throws {
        let marker = try temporaryDirectory() + "/token-asked"
        let wallet = try makeWallet(password: Self.walletPassword, credentials: [
            WalletCredential(alias: "nouser", username: "", kind: .tokenCommand, secret: "",
                             tokenCommand: "touch '\(marker)'; echo opaque-token-nouser"),
        ])
        // Port 9 (discard) on loopback: nothing listens there, and nothing must get that far.
        let neither = try Self.test("nouser", wallet: wallet, ["--smtp", "127.0.0.1:9"])
        #expect(neither.status == 2, "\(neither.output)")
        #expect(neither.output.contains("credential nouser has no user name, and none was given; give --username"), "\(neither.output)")
        #expect(!FileManager.default.fileExists(atPath: marker), "a token was asked for before the user name was settled")
        // Without --smtp no user name is needed: the token is checked offline.
        let offline = try Self.test("nouser", wallet: wallet)
        #expect(offline.status == 0, "\(offline.output)")
        #expect(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)
        // Given --username, the same credential goes on: a token, then the connection (refused).
        let given = try Self.test("nouser", wallet: wallet, ["--smtp", "127.0.0.1:9", "--username", "me@example.com"])
        #expect(FileManager.default.fileExists(atPath: marker), "\(given.output)")
        #expect(given.status == 2 && !given.output.contains("no user name"), "\(given.output)")
        #expect(!given.output.contains("opaque-token-nouser"))
    }

    /// `--smtp`: EHLO, STARTTLS, EHLO, AUTH XOAUTH2 against aiosmtpd, which takes only the
    /// endpoint's tokens for Exchange Online and answers others as Office365 does.
    @Test func theServersRefusalIsJoinedWithTheClaims() throws {
        guard let peer = try XOAUTH2Peer.start() else { return }
        defer { peer.stop() }
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let wallet = try makeWallet(password: Self.walletPassword, credentials: [
            Self.appCredential("good", authority: tokens.authority),
            Self.appCredential("graph", scope: "https://graph.microsoft.com/.default", authority: tokens.authority),
        ])
        let server = ["--smtp", "127.0.0.1:\(peer.port)"]
        let good = try Self.test("good", wallet: wallet, server)
        let goodSMTP = good.json["smtp"] as? [String: Any]
        #expect(good.status == 0, "\(good.output)")
        #expect(goodSMTP?["accepted"] as? Bool == true && goodSMTP?["steps"] as? [String] == ["EHLO", "STARTTLS", "EHLO", "AUTH XOAUTH2"])

        let graph = try Self.test("graph", wallet: wallet, server)
        let smtp = try #require(graph.json["smtp"] as? [String: Any], "\(graph.output)")
        #expect(graph.status == 1)
        #expect((smtp["reply"] as? String)?.hasPrefix("535 5.7.3 Authentication unsuccessful") == true, "\(smtp)")
        #expect((smtp["explanation"] as? [String: Any])?["id"] as? String == "office365.5.7.3")
        let cause = try #require(smtp["likelyCause"] as? String)
        #expect(cause.contains("aud https://graph.microsoft.com") && cause.contains("Microsoft Graph"), "\(cause)")
        Self.assertNoSecrets(graph.output)
    }

    @Test func rightClaimsRefusedPointAtExchange() throws {
        let reply = Reply(535, "5.7.3 Authentication unsuccessful [AM0PR02CA0001.eurprd02.prod.outlook.com]")
        let report = TokenReport(isJWT: true, isAppOnly: true, findings: [
            TokenFinding(claim: "aud", result: .ok, value: "https://outlook.office365.com", message: ""),
            TokenFinding(claim: "oid", result: .info, value: "5ee0b6a1-0c5d-4f3e-9a7b-3c2d1e0f9a8b", message: ""),
        ])
        let cause = SMTPTrial.likelyCause(reply: reply, explanation: nil, report: report, username: "sender@contoso.com")
        #expect(cause.contains("New-ServicePrincipal") && cause.contains("5ee0b6a1-0c5d-4f3e-9a7b-3c2d1e0f9a8b")
            && cause.contains("Add-MailboxPermission on sender@contoso.com") && cause.contains("SmtpClientAuthenticationDisabled"))
    }
}

/// The REPL's `show token credential=ALIAS`: the same checks, printed in the session; a script
/// stops (exit 1) on a token that will be refused.
@Suite(.serialized) struct ShowTokenTests {
    @Test func showTokenChecksOfflineAndStopsAScriptOnAFinding() throws {
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let wallet = try makeWallet(password: CredentialTestTests.walletPassword, credentials: [
            CredentialTestTests.appCredential("good", authority: tokens.authority),
            CredentialTestTests.appCredential("graph", scope: "https://graph.microsoft.com/.default", authority: tokens.authority),
        ])
        func repl(_ alias: String) throws -> ProcessResult {
            let script = try temporaryDirectory() + "/show-token.smtp"
            try "show token credential=\(alias) wallet_path=${W} wallet_password=${WPW}\n".write(toFile: script, atomically: true, encoding: .utf8)
            return try run(TestPaths.executable("smtp-repl"), ["run", script, "--trust", Paths.cert("ca.pem"), "--var", "W=\(wallet)"],
                           environment: ["WPW": CredentialTestTests.walletPassword, "NO_COLOR": "1"])
        }
        let good = try repl("good")
        #expect(good.status == 0, "\(good.output)")
        #expect(good.stdout.contains("ok     aud https://outlook.office365.com") && good.stdout.contains("result: ok"), "\(good.output)")
        let graph = try repl("graph")
        #expect(graph.status == 1, "\(graph.output)")
        #expect(graph.output.contains("wrong  aud https://graph.microsoft.com") && graph.output.contains("will be refused: aud"), "\(graph.output)")
        for output in [good.output, graph.output] { CredentialTestTests.assertNoSecrets(output) }
    }
}

/// AUTH XOAUTH2 refused: the error names the token's failed checks (the same `TokenChecks`).
@Suite(.serialized) struct XOAUTH2RefusalTests {
    @Test func aRefusedGraphTokenIsNamedInTheError() throws {
        guard let peer = try XOAUTH2Peer.start() else { return }
        defer { peer.stop() }
        let tokens = try TokenServer(jwt: true)
        defer { tokens.stop() }
        let wallet = try makeWallet(password: CredentialTestTests.walletPassword, credentials: [
            CredentialTestTests.appCredential("graph", scope: "https://graph.microsoft.com/.default", authority: tokens.authority),
        ])
        let provider = try WalletTokens.provider(alias: "graph", walletPath: wallet, walletPassword: CredentialTestTests.walletPassword,
                                                 settings: .init(http: TokenServer.http))
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: peer.port, txTimeout: 10, options: .init(tls: TLSConfiguration(trust: .pemFile(Paths.cert("ca.pem")))))
        defer { connection.closeConnection() }
        try connection.ehlo("client.example.com")
        try connection.starttls()
        try connection.ehlo("client.example.com")
        let error = try #require(throws: SMTPError.self) {
            try authenticateXOAUTH2(connection: connection, username: "sender@contoso.com", provider: provider)
        }
        #expect(error.reply?.code == 535)
        #expect(error.description.contains("the token's aud https://graph.microsoft.com") && error.description.contains("Microsoft Graph"),
                "\(error)")
        #expect(!error.description.contains("eyJ"))
    }
}
