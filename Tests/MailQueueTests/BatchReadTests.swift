import Foundation
import MailQueue
import Testing

/// `QueueStore.details(_:byteBudget:)`, how a sender reads its claimed batch: in order, the
/// same as one by one, unknown ids left out, and large requests read a few at a time.
@Suite("Batch read of claimed requests")
struct BatchReadTests {
    func request(_ n: Int, attachmentBytes: Int = 0) -> MailRequest {
        var request = textRequest(to: ["r\(n)@example.com", "s\(n)@example.com"], subject: "batch \(n)")
        if attachmentBytes > 0 {
            request.attachments = [MailAttachment(filename: "a\(n).bin", contentType: "application/octet-stream",
                                                  data: sampleBytes(attachmentBytes, seed: UInt64(n)))]
        }
        return request
    }

    func sampleBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test("in the order asked, equal to reading each alone; unknown ids left out")
    func orderAndEquality() throws {
        let (store, _) = try makeSQLiteStore()
        let ids = try (0..<5).map { try store.enqueue(request($0, attachmentBytes: $0 == 2 ? 3000 : 0)) }
        let asked = [ids[3], "no-such-id", ids[0], ids[2], ids[4], ids[1]]
        let batch = try store.details(asked, byteBudget: .max)
        #expect(batch.map(\.request.id) == [ids[3], ids[0], ids[2], ids[4], ids[1]])
        for details in batch {
            let alone = try store.load(details.request.id)
            #expect(details.request == alone)
            #expect(details.status == .unsent && details.attempts == 0)
        }
        #expect(batch.first { $0.request.id == ids[2] }?.request.attachments.first?.data.count == 3000)
        #expect(try store.details(["no-such-id"], byteBudget: .max).isEmpty)
        #expect(throws: QueueError.self) { try store.details("no-such-id") }
    }

    @Test("the byte budget: reading stops after the request that passes it, and at least one is read")
    func budget() throws {
        let (store, _) = try makeSQLiteStore()
        let ids = try (0..<4).map { try store.enqueue(request($0, attachmentBytes: 600_000)) }
        let first = try store.details(ids, byteBudget: 1_000_000)
        #expect(first.map(\.request.id) == Array(ids.prefix(2)), "600 kB, then 1.2 MB passes 1 MB: two read")
        #expect(first.allSatisfy { $0.request.attachments.first?.data.count == 600_000 })
        #expect(try store.details(ids, byteBudget: 0).map(\.request.id) == [ids[0]])
        #expect(try store.details(ids.suffix(2), byteBudget: .max).map(\.request.id) == Array(ids.suffix(2)))
    }
}
