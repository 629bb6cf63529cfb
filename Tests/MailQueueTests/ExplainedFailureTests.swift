import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// `mail-queue show ID` and `status` explain a failed request's recorded reply with the reply
/// catalogue (Office365's 5.7.60 at MAIL FROM here, as Exchange Online words it).
@Suite struct ExplainedFailureTests {
    @Test func showAndStatusExplainTheRecordedReply() throws {
        let script = """
            220 outlook.office365.test ESMTP
            > EHLO client.example.com
            250-outlook.office365.test
            250 SIZE 1000000
            > MAIL FROM:<alice@example.com>
            550 5.7.60 SMTP; Client does not have permissions to send as this sender
            > QUIT
            221 bye
            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 20)
        defer { server.stop() }
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest())
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: SMTPSettings(host: "127.0.0.1", port: server.port, heloName: "client.example.com", timeout: 10),
            options: SenderOptions(once: true, random: { 0.5 }))
        _ = try sender.run()
        #expect(try store.details(id).status == .failed)

        let show = try runProcess(TestEnvironment.binary, ["show", id, "--database", "sqlite:" + path])
        #expect(show.status == 0, "\(show.output)")
        #expect(show.stdout.contains("last error:") && show.stdout.contains("550 5.7.60"), "\(show.output)")
        #expect(show.stdout.contains("explained:   Office365: the authenticated mailbox has no Send As permission"), "\(show.output)")

        let status = try runProcess(TestEnvironment.binary, ["status", "--database", "sqlite:" + path])
        #expect(status.stdout.contains("failed (up to 20") && status.stdout.contains(id), "\(status.output)")
        #expect(status.stdout.contains("explained: Office365: the authenticated mailbox has no Send As permission"), "\(status.output)")

        let json = try runProcess(TestEnvironment.binary, ["status", "--json", "--database", "sqlite:" + path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let failed = try #require((object["failed_requests"] as? [[String: Any]])?.first)
        #expect(failed["id"] as? String == id)
        #expect((failed["explanation"] as? [String: Any])?["id"] as? String == "office365.5.7.60", "\(json.output)")
    }

    @Test func theRecordedReplyIsReadBackWithItsStep() {
        let parsed = RecordedReply.parse("smtp.office365.com:587 auth: permanent error: 535 5.7.3 Authentication unsuccessful (if the token is app-only …)")
        #expect(parsed?.step == "auth" && parsed?.code == 535)
        #expect(RecordedReply.explanation(of: "smtp.office365.com:587 auth: permanent error: 535 5.7.3 Authentication unsuccessful")?.id == "office365.5.7.3")
        #expect(RecordedReply.parse("127.0.0.1:25 open_connection: network error: connection refused") == nil)
        let mail = RecordedReply.parse("MAIL FROM: 550 5.7.60 SMTP; Client does not have permissions to send as this sender")
        #expect(mail?.step == "MAIL FROM" && mail?.code == 550 && mail?.text.hasPrefix("5.7.60") == true)
        let rcpt = RecordedReply.parse("RCPT TO: every recipient refused: bob@example.com: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table")
        #expect(rcpt?.code == 550 && rcpt?.step == "RCPT TO")
        #expect(RecordedReply.explanation(of: "RCPT TO: every recipient refused: bob@example.com: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table")?.id == "postfix.user-unknown")
    }
}
