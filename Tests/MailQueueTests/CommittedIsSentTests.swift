import Foundation
import GRDB
import MailQueue
import Testing

/// The seed's promise end to end: a request enqueued in the application's committed
/// transaction is delivered by the sender, once, with its stable Message-ID.
@Suite("Committed, then sent")
struct CommittedIsSentTests {
    @Test("enqueue in a committed GRDB transaction; the sender delivers it to aiosmtpd; the request is sent")
    func committedRequestIsSent() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD"), let maildir = TestPeers.required("SMTP_AIOSMTPD_MAILDIR") else { return }
        let (store, path) = try makeSQLiteStore()
        let app = try DatabaseQueue(path: path)
        let marker = UUID().uuidString
        let id = try app.write { db -> String in
            try MailQueueRequester.enqueue(textRequest(subject: "committed \(marker)"), in: db)
        }
        let messageID = try store.details(id).request.messageID
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: SMTPSettings(host: peer.host, port: peer.port, heloName: "client.example.com", timeout: 10),
            options: SenderOptions(once: true))
        _ = try sender.run()
        #expect(try store.details(id).status == .sent)
        // aiosmtpd writes NNNNNN.eml, then NNNNNN.json last: poll (bounded) for the message.
        let arrived = eventually {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? []
            return names.filter { $0.hasSuffix(".eml") }.contains { name in
                let text = (try? String(contentsOfFile: maildir + "/" + name, encoding: .utf8)) ?? ""
                return text.contains(marker) && text.contains(messageID)
            }
        }
        #expect(arrived, "the message with \(messageID) arrived")
    }
}
