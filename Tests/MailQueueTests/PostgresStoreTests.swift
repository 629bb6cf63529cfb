import Foundation
import MailQueue
import Testing

/// The PostgreSQL store keeps what it is given: attachments as BYTEA with every byte value,
/// a large random one, and text with Japanese and an emoji, read back by `load` unchanged.
@Suite("PostgreSQL store round trip")
struct PostgresStoreTests {
    @Test("BYTEA attachments (bytes 0–255, 1 MiB random) and Japanese/emoji text round-trip exactly")
    func roundTrip() throws {
        try withPostgresQueue { store, scoped in try roundTrip(store, scoped) }
    }

    func roundTrip(_ store: QueueStore, _ scoped: String) throws {
        let allBytes = (0...255).map { UInt8($0) }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let subject = "請求書のお知らせ 🎉 \\x00 'quoted' \"double\""
        let body = "山田様\n\nご請求書を添付します。🙇‍♂️\nBackslash \\ and E'\\\\x' stay.\n"
        var request = textRequest(subject: subject, body: body)
        request.attachments = [
            MailAttachment(filename: "bytes.bin", data: allBytes),
            MailAttachment(filename: "請求書😀.pdf", contentType: "application/pdf", data: random),
            MailAttachment(filename: "empty.bin", data: []),
        ]
        let id = try store.enqueue(request)

        // A new connection: nothing cached on the writer's side.
        let reader = QueueStore(database: try PostgresQueueDatabase(url: scoped))
        let loaded = try reader.load(id)
        #expect(loaded.subject == subject)
        #expect(loaded.body == body)
        #expect(loaded.attachments.map(\.filename) == ["bytes.bin", "請求書😀.pdf", "empty.bin"])
        #expect(loaded.attachments.map(\.contentType) == ["application/octet-stream", "application/pdf", "application/octet-stream"])
        let sizes = loaded.attachments.map(\.data.count)
        #expect(sizes == [256, 1 << 20, 0])
        #expect(loaded.attachments.first?.data == allBytes, "every byte value 0–255")
        #expect(loaded.attachments.dropFirst().first?.data == random, "1 MiB of random bytes")
        #expect(loaded.attachments.last?.data == [])
    }
}
