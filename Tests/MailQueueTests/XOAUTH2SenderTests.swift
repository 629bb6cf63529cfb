import Foundation
import MailQueue
import SMTPConversation
import Testing

/// The sender authenticating unattended with an OAuth2 credential kept in the wallet.
@Suite("Sender with an OAuth2 credential")
struct XOAUTH2SenderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `smtp-wallet` with the wallet password in the environment, never in argv.
    func walletTool(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent(".build/debug/smtp-wallet")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["WALLET_PASSWORD": "queue-wallet-pw"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return try Child(process).wait()
    }

    @Test("a token-command credential: the server sees the exact XOAUTH2 string and the request is sent")
    func unattendedXOAUTH2() throws {
        let wallet = FileManager.default.temporaryDirectory.appendingPathComponent("queue-o365-\(UUID().uuidString)").path
        #expect(try walletTool(["create", "-w", wallet, "--password-env", "WALLET_PASSWORD"]) == 0)
        #expect(try walletTool(["credential", "add", "o365", "-w", wallet, "--password-env", "WALLET_PASSWORD",
                                "--kind", "token-command", "--username", "alice@contoso.com", "--command", "echo at-queue-7"]) == 0)
        let xoauth = Base64.encode("user=alice@contoso.com\u{1}auth=Bearer at-queue-7\u{1}\u{1}")
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
        let (details, _, outcome) = try sendOnce(script) { port in
            SMTPSettings(
                host: "127.0.0.1", port: port, security: .starttls, caFile: TestEnvironment.cert("ca.pem"), walletPath: wallet,
                walletPassword: "queue-wallet-pw", username: "alice@contoso.com", secret: .walletAlias("o365"),
                heloName: "client.example.com", timeout: 10)
        }
        let served = try #require(outcome)
        #expect(served.followed, "the exact XOAUTH2 string was sent: \(String(describing: served.deviation))")
        #expect(details.status == .sent)
        #expect(!served.transcript.render().contains("at-queue-7"))
    }
}
