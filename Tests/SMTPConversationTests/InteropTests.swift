import Foundation
import SMTPConversation
import Testing

/// Against real servers no one here wrote, started by scripts/test on 127.0.0.1:
/// aiosmtpd (PyPI) and Postfix with Dovecot SASL (Debian).
@Suite("Interop with real servers")
struct InteropTests {
    static let body = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: interop\r\n\r\n.leading dot\r\nhello\r\n"

    /// Waits (bounded) for a file whose name ends with `suffix` to appear in `directory`.
    func awaitFile(in directory: String, suffix: String, count: Int) -> [String] {
        for _ in 0..<100 {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }
            if names.count >= count { return names.sorted() }
            usleep(50_000)
        }
        return []
    }

    @Test("aiosmtpd, plaintext: a message arrives intact, dot-stuffing undone")
    func aiosmtpdPlain() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD"), let maildir = TestEnvironment.environment("SMTP_AIOSMTPD_MAILDIR")
        else { return }
        let before = awaitFile(in: maildir, suffix: ".json", count: 0).count
        let connection = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        let marker = UUID().uuidString
        try connection.mail(from: "alice@example.com")
        try connection.rcpt(to: "bob@example.com")
        let reply = try connection.data(Self.body + "marker \(marker)\r\n")
        #expect(reply.code == 250)
        try connection.quit()
        let files = awaitFile(in: maildir, suffix: ".eml", count: before + 1)
        let contents = try files.map { try String(contentsOfFile: maildir + "/" + $0, encoding: .utf8) }
        let message = try #require(contents.first { $0.contains(marker) })
        #expect(message.contains("\n.leading dot"))
        #expect(!message.contains("..leading dot"))
    }

    @Test("aiosmtpd, plaintext: vrfy, noop, help, rset and a raw command")
    func aiosmtpdCommands() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD") else { return }
        let connection = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        #expect(try connection.noop().code == 250)
        #expect(try connection.returningReplies.vrfy("bob@example.com").code == 252)
        #expect(try connection.help().isPositiveCompletion)
        #expect(try connection.rset().code == 250)
        #expect(try connection.returningReplies.command("XYZZY").code == 500)
        try connection.quit()
        #expect(connection.isClosed)
    }

    @Test("aiosmtpd with STARTTLS required: AUTH LOGIN and PLAIN succeed; a wrong password is 535; no STARTTLS is 530")
    func aiosmtpdTLS() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD_TLS"), let user = TestEnvironment.environment("SMTP_AIOSMTPD_USER"),
            let password = TestEnvironment.environment("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        let options = SMTPConnection.Options(tls: TestEnvironment.testTLS)
        for scheme in ["LOGIN", "PLAIN"] {
            let connection = try SMTPConnection.openConnection(
                host: peer.host, port: peer.port, txTimeout: 10, secureHost: "localhost", options: options)
            try connection.ehlo("client.example.com")
            try connection.starttls()
            try connection.ehlo("client.example.com")
            try connection.auth(username: user, password: password, schemes: [scheme])
            #expect(connection.isAuthenticated)
            let result = try connection.sendMail(from: "alice@example.com", to: ["bob@example.com"], body: Array(Self.body.utf8))
            #expect(result.isDelivered)
            try connection.quit()
        }
        let wrong = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 10, options: options)
        try wrong.ehlo("client.example.com")
        try wrong.starttls()
        try wrong.ehlo("client.example.com")
        #expect {
            try wrong.auth(username: user, password: "not-the-password", schemes: ["LOGIN"])
        } throws: { error in
            (error as? SMTPError)?.reply?.code == 535 && (error as? SMTPError)?.isPermanent == true
                && !"\(error)".contains("not-the-password")
        }
        let plain = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 10)
        try plain.ehlo("client.example.com")
        #expect {
            try plain.mail(from: "alice@example.com")
        } throws: { ($0 as? SMTPError)?.reply?.code == 530 }
        plain.closeConnection()
    }

    @Test("aiosmtpd over implicit TLS")
    func aiosmtpdSMTPS() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD_SMTPS"), let user = TestEnvironment.environment("SMTP_AIOSMTPD_USER"),
            let password = TestEnvironment.environment("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        let connection = try SMTPConnection.openConnection(
            host: peer.host, port: peer.port, txTimeout: 10, secureConnectionBeforeSMTP: true,
            options: SMTPConnection.Options(tls: TestEnvironment.testTLS))
        #expect(connection.isTLS)
        try connection.ehlo("client.example.com")
        try connection.auth(username: user, password: password, schemes: ["PLAIN"])
        #expect(try connection.sendMail(from: "a@example.com", to: ["b@example.com"], body: Array(Self.body.utf8)).isDelivered)
        try connection.quit()
    }

    @Test("Postfix + Dovecot submission (smtpd_tls_auth_only): AUTH after STARTTLS, 535 for a wrong password, 530 without TLS")
    func postfix() throws {
        guard let peer = TestEnvironment.peer("SMTP_POSTFIX_SUBMISSION"), let user = TestEnvironment.environment("SMTP_POSTFIX_USER"),
            let password = TestEnvironment.environment("SMTP_POSTFIX_PASSWORD")
        else { return }
        let options = SMTPConnection.Options(tls: TestEnvironment.testTLS)
        let connection = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 20, options: options)
        try connection.ehlo("client.example.com")
        #expect(connection.capabilities?.authMechanisms.isEmpty == true, "smtpd_tls_auth_only hides AUTH before TLS")
        #expect(connection.capabilities?.startTLS == true)
        try connection.starttls()
        #expect(connection.capabilities == nil)
        try connection.ehlo("client.example.com")
        #expect(connection.capabilities?.authMechanisms.contains("PLAIN") == true)
        try connection.auth(username: user, password: password, schemes: ["CRAM-MD5", "PLAIN", "LOGIN"])
        let marker = UUID().uuidString
        let result = try connection.sendMail(
            from: "alice@example.com", to: ["bob@example.com"], body: Array((Self.body + "marker \(marker)\r\n").utf8))
        #expect(result.isDelivered, "\(String(describing: result.finalReply))")
        try connection.quit()

        let wrong = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 20, options: options)
        try wrong.ehlo("client.example.com")
        try wrong.starttls()
        try wrong.ehlo("client.example.com")
        #expect { try wrong.auth(username: user, password: "wrong", schemes: ["PLAIN"]) } throws: {
            ($0 as? SMTPError)?.reply?.code == 535
        }
        wrong.closeConnection()

        let plain = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 20)
        try plain.ehlo("client.example.com")
        #expect { try plain.mail(from: "alice@example.com") } throws: { ($0 as? SMTPError)?.reply?.code == 530 }
        plain.closeConnection()
    }
}
