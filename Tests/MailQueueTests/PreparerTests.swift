import Foundation
import MailMessage
@testable import MailQueue
import Testing

/// The preparer thread: requests made in the batch's order, taken in that order, skipped ones
/// dropped, nothing handed out twice or after the batch ends.
@Suite("Preparer (messages made ahead on another thread)")
struct PreparerTests {
    static func batch(_ count: Int) throws -> [StoredRequest] {
        let (store, _) = try makeSQLiteStore()
        let ids = try (0..<count).map { index in try store.enqueue(textRequest(subject: "request \(index)")) }
        let read = try store.details(ids, byteBudget: 1 << 20).map(\.request)
        #expect(read.map(\.id) == ids)
        return read
    }

    /// The subject line of a made message.
    static func subject(_ result: Result<QueueSender.Prepared, DeliveryFailure>?) -> String? {
        guard case .success(let prepared)? = result else { return nil }
        let text = String(decoding: prepared.encoded, as: UTF8.self)
        return text.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)) }
    }

    @Test("each request is made once, for its own id, in order; one passed over is dropped")
    func order() throws {
        let requests = try Self.batch(40)
        let preparer = Preparer(requests: requests, encoding: EncodingOptions(), depth: 4)
        defer { preparer.cancel() }
        #expect(Self.subject(preparer.take(requests[0].id)) == "request 0")
        #expect(Self.subject(preparer.take(requests[1].id)) == "request 1")
        #expect(preparer.take(requests[1].id) == nil, "taken once")
        // Far past the depth: the thread catches up instead of waiting for the skipped ones.
        #expect(Self.subject(preparer.take(requests[30].id)) == "request 30")
        #expect(preparer.take(requests[2].id) == nil, "passed over")
        #expect(Self.subject(preparer.take(requests[31].id)) == "request 31")
        #expect(preparer.take("not-in-this-batch") == nil)
        #expect(preparer.encoding == EncodingOptions())
    }

    @Test("a request that cannot be made comes back as its failure")
    func failure() throws {
        let (store, _) = try makeSQLiteStore()
        // Valid when enqueued (SMTPUTF8 is the server's business), not for a server without it.
        let id = try store.enqueue(textRequest(to: ["ユーザー@example.jp"]))
        let requests = try store.details([id], byteBudget: 1 << 20).map(\.request)
        let preparer = Preparer(requests: requests, encoding: EncodingOptions(allow8Bit: false, allowSMTPUTF8: false))
        defer { preparer.cancel() }
        guard case .failure(let failure)? = preparer.take(id) else {
            Issue.record("a non-ASCII address without SMTPUTF8 was made")
            return
        }
        // MailMessage's plan decided it, naming the field and the address.
        #expect(failure.text.contains("SMTPUTF8") && failure.text.contains("To[0]") && failure.text.contains("ユーザー@example.jp"),
                "\(failure.text)")
    }

    @Test("a request is made with MailMessage's plan: the MAIL parameters and the encoding follow what the server allows")
    func planned() throws {
        let (store, _) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest(to: ["ユーザー@example.jp"]))
        let request = try store.details([id], byteBudget: 1 << 20)[0].request
        for options in [EncodingOptions(allow8Bit: true, allowSMTPUTF8: true), EncodingOptions(allow8Bit: false, allowSMTPUTF8: true)] {
            guard case .success(let prepared) = QueueSender.prepare(request, encoding: options) else {
                Issue.record("not made for \(options)")
                continue
            }
            let message = try MessageBuilder.message(for: request)
            let plan = try message.plan(allowing: options)
            #expect(prepared.envelope.mailParameters == plan.mailParameters && plan.mailParameters.contains("SMTPUTF8"))
            #expect(prepared.envelope.mailParameters.contains("BODY=8BITMIME") == options.allow8Bit)
            var encoded: [UInt8] = []
            try message.encode(options: plan.options) { encoded += $0 }
            // The same bytes but for the Date: and Message-ID: the builder makes each time.
            let lines = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self).split(separator: "\r\n")
                .filter { !$0.hasPrefix("Date:") && !$0.hasPrefix("Message-ID:") } }
            #expect(lines(prepared.encoded) == lines(encoded))
        }
    }

    @Test("after cancel nothing is handed out")
    func cancelled() throws {
        let requests = try Self.batch(5)
        let preparer = Preparer(requests: requests, encoding: EncodingOptions(), depth: 2)
        #expect(Self.subject(preparer.take(requests[0].id)) == "request 0")
        preparer.cancel()
        #expect(preparer.take(requests[1].id) == nil)
    }
}
