import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// A token command (`az account get-access-token …`) runs without the toolkit's secrets in its
/// environment: `mail-queue send` with a token-command credential, whose command writes the
/// environment it got to a file.
@Suite("Token command environment")
struct TokenCommandEnvironmentTests {
    @Test("the token command gets no wallet or SMTP password, but the rest of the environment")
    func secretsStripped() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wallet = directory + "/wallet", seen = directory + "/env.txt"
        let walletPassword = "queue-wallet-pw-31"
        let tool = TestPaths.executable("smtp-wallet")
        let env = ["WALLET_PASSWORD": walletPassword]
        #expect(try runProcess(tool, ["create", "-w", wallet, "--password-env", "WALLET_PASSWORD"], environment: env).status == 0)
        let added = try runProcess(tool, [
            "credential", "add", "o365", "-w", wallet, "--password-env", "WALLET_PASSWORD", "--kind", "token-command",
            "--username", "alice@contoso.com", "--command", "env > '\(seen)'; echo at-env-1",
        ], environment: env)
        #expect(added.status == 0, "\(added.output)")
        let xoauth = Base64.encode("user=alice@contoso.com\u{1}auth=Bearer at-env-1\u{1}\u{1}")
        let script = """
            220 outlook.office365.com ESMTP
            > EHLO client.example.com
            250-outlook.office365.com
            250 STARTTLS
            > STARTTLS
            220 2.0.0 go ahead
            @tls
            > EHLO client.example.com
            250-outlook.office365.com
            250 AUTH LOGIN XOAUTH2
            > AUTH XOAUTH2 \(xoauth)
            235 2.7.0 Authentication successful
            > MAIL FROM:<alice@example.com>
            250 2.1.0 Ok
            > RCPT TO:<bob@example.com>
            250 2.1.5 Ok
            > DATA
            354 go ahead
            > Subject: hello
            >
            > body
            > .
            250 2.0.0 OK
            > QUIT
            221 bye
            """
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: script), mode: .meaning, tlsCertificatePath: TestEnvironment.cert("server.pem"),
            tlsKeyPath: TestEnvironment.cert("server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 20)
        defer { server.stop() }
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest())
        let secrets = [
            "MAIL_QUEUE_WALLET_PASSWORD": walletPassword, "MAIL_QUEUE_SMTP_PASSWORD": "smtp-pw-32", "SMTP_PASSWORD": "smtp-pw-33",
            "WALLET_PASSWORD": "wallet-pw-34",
            // The wallet password under a name of the user's choosing (what a --password-env names).
            "MY_VAULT_PASS": walletPassword,
        ]
        let sent = try runProcess(TestEnvironment.binary, [
            "send", "--once", "--database", "sqlite:" + path, "--smtp", "127.0.0.1:\(server.port)", "--security", "starttls",
            "--ca-file", TestEnvironment.cert("ca.pem"), "--helo", "client.example.com", "--timeout", "10",
            "--wallet", wallet, "--credential-alias", "o365",
        ], environment: secrets.merging(["KEEP_ME": "visible-35"]) { $1 }, timeout: 120)
        #expect(sent.status == 0, "\(sent.output)")
        #expect(try store.details(id).status == .sent)
        let environment = try String(contentsOfFile: seen, encoding: .utf8)
        for (name, value) in secrets {
            let leaked = environment.contains(name + "=") || environment.contains(value)
            #expect(!leaked, "\(name) or its value reached the token command")
        }
        #expect(environment.contains("KEEP_ME=visible-35"), "the rest of the environment is passed")
        #expect(environment.contains("SMTP_OAUTH_USERNAME=alice@contoso.com"))
    }
}
