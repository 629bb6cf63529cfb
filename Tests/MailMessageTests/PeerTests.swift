import Foundation
import MailMessage
import SMTPConversation
import Testing

/// Messages sent through real servers: Postfix submission (STARTTLS + AUTH, delivered to a
/// Maildir by virtual(8)) and aiosmtpd (which records the envelope and the DATA bytes).
@Suite(.serialized) struct PeerTests {
    static let subject = "【テスト】Postfix 経由の送信 \(UUID().uuidString.prefix(8))"
    static let body = "こんにちは。\n.先頭のドット行\n..二つ\n添付を確認してください。\n"

    /// Waits for a file whose bytes contain `marker` in `directory` (a Maildir's `new/`, or
    /// aiosmtpd's directory with `.json` written last), polling until `timeout` seconds.
    func waitForMessage(
        in directory: String, containing marker: String, suffix: String, timeout: Double = 20
    ) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        let needle = Data(marker.utf8)
        repeat {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            where name.hasSuffix(suffix) {
                let path = directory + "/" + name
                if let data = FileManager.default.contents(atPath: path), data.range(of: needle) != nil { return path }
            }
            usleep(50_000)  // polling the directory, not waiting for a guess
        } while Date() < deadline
        return nil
    }

    func japaneseMessage(attachment path: String, charset: MessageCharset) throws -> MailMessage {
        var message = try MailMessage(
            from: "送信者 <alice@example.test>", to: ["山田 太郎 <taro@example.test>"], cc: ["cc@example.test"],
            bcc: ["secret@example.test"], returnPath: "bounces@example.test", subject: Self.subject, text: Self.body,
            charset: charset)
        message.attachments = [Attachment(filename: "報告書.bin", contentType: "application/octet-stream", file: path)]
        return message
    }

    @Test(arguments: [MessageCharset.iso2022JP, .utf8])
    func postfixDeliversTheMessageIntact(_ charset: MessageCharset) throws {
        guard let peer = TestEnvironment.peer("SMTP_POSTFIX_SUBMISSION"),
            let maildir = TestEnvironment.environment("SMTP_POSTFIX_MAILDIR")
        else { return }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let content = sampleBytes(3 * 1024 * 1024 + 1, seed: 5)
        let path = directory.appendingPathComponent("a.bin").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        let message = try japaneseMessage(attachment: path, charset: charset)

        let connection = try SMTPConnection.openConnection(
            host: peer.host, port: peer.port, txTimeout: 30,
            options: SMTPConnection.Options(tls: TestEnvironment.testTLS))
        try connection.ehlo("client.example.test")
        try connection.starttls(secureHost: "localhost")
        try connection.ehlo("client.example.test")
        try connection.auth(
            username: TestEnvironment.environment("SMTP_POSTFIX_USER") ?? "alice",
            password: TestEnvironment.environment("SMTP_POSTFIX_PASSWORD") ?? "wonderland", schemes: ["PLAIN"])
        var markedBeforeDot = false
        let report = try message.write(to: connection) { markedBeforeDot = true }
        try connection.quit()
        #expect(report.reply.code == 250)
        #expect(markedBeforeDot)
        #expect(report.accepted == ["taro@example.test", "cc@example.test", "secret@example.test"])
        #expect(report.refused.isEmpty)

        let found = try waitForMessage(in: maildir + "/new", containing: message.messageID, suffix: "")
        let file = try #require(found, "Postfix did not deliver \(message.messageID) within 20 s")
        let parsed = try #require(try parseFilesWithPython([file]).first)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        #expect(parsed.header("Subject") == Self.subject)
        #expect(parsed.header("Return-Path") == "<bounces@example.test>", "the envelope sender is the return path")
        #expect(parsed.header("Bcc") == nil)
        #expect(parsed.addresses("To") == [["山田 太郎", "taro@example.test"]])
        #expect(parsed.leaves[0]["text"] as? String == Self.body)
        #expect(parsed.leaves[0]["charset"] as? String == charset.mimeName.lowercased())
        #expect(parsed.leaves[1]["filename"] as? String == "報告書.bin")
        #expect(parsed.leaves[1]["sha256"] as? String == (try sha256(content)))
    }

    @Test func aiosmtpdSeesTheEnvelopeAnd8BitMIME() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD"),
            let maildir = TestEnvironment.environment("SMTP_AIOSMTPD_MAILDIR")
        else { return }
        var message = try MailMessage(
            from: "a@example.test", to: ["t@example.test"], bcc: ["b@example.test"],
            returnPath: "r@example.test", subject: "8bit \(UUID().uuidString)", text: Self.body)
        message.headers = [MailHeader("X-Marker", message.messageID)]
        let connection = try SMTPConnection.openConnection(host: peer.host, port: peer.port, txTimeout: 30)
        try connection.ehlo("client.example.test")
        let plan = try message.plan(for: connection.capabilities)
        #expect(plan.mailParameters == ["BODY=8BITMIME"], "aiosmtpd offers 8BITMIME")
        try message.write(to: connection)

        // The same message with a UTF-8 address: aiosmtpd does not offer SMTPUTF8, so nothing is sent.
        var international = message
        international.to = [try MailAddress("用户@例子.广告")]
        do {
            try international.write(to: connection)
            Issue.record("sent a UTF-8 address without SMTPUTF8")
        } catch let error as MessageError {
            #expect(error.kind == .smtpUTF8Required && error.field == "To[0]")
        }
        try connection.quit()

        let eml = try #require(try waitForMessage(in: maildir, containing: message.messageID, suffix: ".eml"))
        let json = String(eml.dropLast(4)) + ".json"
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: json) && Date() < deadline { usleep(20_000) }
        let envelope = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(envelope["mail_from"] as? String == "r@example.test")
        #expect(envelope["rcpt_tos"] as? [String] == ["t@example.test", "b@example.test"])
        #expect(envelope["mail_options"] as? [String] == ["BODY=8BITMIME"])
        let parsed = try #require(try parseFilesWithPython([eml]).first)
        #expect(parsed.header("Content-Transfer-Encoding") == "8bit")
        #expect(parsed.leaves[0]["text"] as? String == Self.body, "dot-stuffed lines arrive unstuffed")
    }

    /// Without AUTH, Postfix submission refuses every recipient (relay denied): write(to:) throws
    /// the refusal, resets the transaction, and the connection stays usable.
    @Test func everyRecipientRefusedThrowsTheRefusalAndResets() throws {
        guard let peer = TestEnvironment.peer("SMTP_POSTFIX_SUBMISSION") else { return }
        let message = try MailMessage(
            from: "alice@example.test", to: ["x@elsewhere.test", "y@elsewhere.test"], subject: "no auth", text: "x\n")
        let connection = try SMTPConnection.openConnection(
            host: peer.host, port: peer.port, txTimeout: 30, options: SMTPConnection.Options(tls: TestEnvironment.testTLS))
        try connection.ehlo("client.example.test")
        try connection.starttls(secureHost: "localhost")
        try connection.ehlo("client.example.test")
        do {
            try message.write(to: connection)
            Issue.record("Postfix accepted relaying without AUTH")
        } catch let error as SMTPError {
            guard error.code == .permanentError, let reply = error.reply else {
                Issue.record("expected a 5xx refusal, got \(error)")
                return
            }
            #expect(reply.code >= 500 && error.context.step == "rcpt", "\(error)")
        }
        #expect(try connection.noop().code == 250, "the connection is still usable after RSET")
        try connection.quit()
    }
}
