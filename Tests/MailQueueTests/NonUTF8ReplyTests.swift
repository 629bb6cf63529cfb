import Foundation
import MailQueue
import SMTPConversation
import Testing

/// A server answering in Shift_JIS (a Japanese mail server's own language) is still SMTP: its
/// 250 to the final dot means the message was taken, so the request is sent, not uncertain.
@Suite("Replies that are not UTF-8")
struct NonUTF8ReplyTests {
    @Test("a Shift_JIS 250 to the final dot counts as sent")
    func shiftJIS() throws {
        let server = try HostileServer("sjis")
        defer { server.stop() }
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest())
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: SMTPSettings(host: "127.0.0.1", port: server.port, heloName: "client.example.com", timeout: 10),
            options: SenderOptions(once: true, random: { 0.5 }))
        let report = try sender.run()
        let details = try store.details(id)
        #expect(details.status == .sent, "\(details) \(report)")
    }
}
