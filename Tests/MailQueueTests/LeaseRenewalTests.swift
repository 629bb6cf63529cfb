import Foundation
import MailQueue
import Testing

/// A batch that takes longer than its lease keeps its claims: the sender renews them once half
/// the lease has passed, so a competing sender never takes over what is being sent.
@Suite("Lease renewal")
struct LeaseRenewalTests {
    @Test("a batch slower than its lease (rate limited) is renewed: a competitor polling for due work claims nothing")
    func slowBatchKeepsItsClaims() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD") else { return }
        let (store, path) = try makeSQLiteStore()
        let ids = try (0..<6).map { try store.enqueue(textRequest(to: ["r\($0)@example.com"], subject: "lease \($0)")) }
        // 60 a minute: one message a second, six in about five seconds; the lease is three.
        var settings = SMTPSettings(host: peer.host, port: peer.port, heloName: "client.example.com", timeout: 10)
        settings.messagesPerMinute = 60
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: settings, options: SenderOptions(batchSize: 6, leaseMillis: 3000, once: true))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<SenderReport, QueueError>?
        Thread {
            do throws(QueueError) { outcome = .success(try sender.run()) } catch { outcome = .failure(error) }
            done.signal()
        }.start()
        // The competitor claims whatever is due (an expired lease included) until the sender ends.
        let competitor = QueueStore(database: try SQLiteQueueDatabase(path: path))
        var stolen: [String] = []
        var polls = 0
        while done.wait(timeout: .now() + 0.1) == .timedOut && polls < 300 {
            stolen += try competitor.claim(owner: "competitor", limit: 10, leaseMillis: 60_000, pattern: nil)
            polls += 1
        }
        if polls >= 300 { done.wait() }
        let report = try #require(try outcome?.get())
        #expect(stolen.isEmpty, "the competitor took \(stolen.count) claimed requests")
        #expect(report.sent == 6 && report.lost == 0, "\(report)")
        #expect(polls >= 30, "the batch took \(polls) polls of 0.1 s: longer than the 3 s lease, as intended")
        for id in ids { #expect(try store.details(id).status == .sent) }
    }
}
