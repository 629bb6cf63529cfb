import Foundation
import MailQueue
import Testing

/// Attachments end to end: enqueued through the API, sent by QueueSender to aiosmtpd, read back
/// from the sink's .eml with Python's email package. Every byte and the decoded (Japanese) file
/// names must come back exactly.
@Suite("Attachments delivered")
struct AttachmentDeliveryTests {
    /// Parses each file with the email package (strict policy: a defect raises) and prints, per
    /// leaf part, its type, decoded file name and content (hex for bytes, text for text).
    static let parser = #"""
        import email.parser, email.policy, json, sys
        msg = email.parser.BytesParser(policy=email.policy.strict).parsebytes(open(sys.argv[1], "rb").read())
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            entry = {"content_type": part.get_content_type(), "filename": part.get_filename(),
                     "disposition": part.get_content_disposition()}
            content = part.get_content()
            if isinstance(content, bytes):
                entry["hex"] = content.hex()
            else:
                entry["text"] = content.replace("\r\n", "\n")
            defects = [type(d).__name__ for d in part.defects]
            if defects:
                entry["defects"] = defects
            parts.append(entry)
        print(json.dumps({"subject": str(msg["Subject"]), "parts": parts}))
        """#

    struct Parsed: Decodable {
        struct Part: Decodable {
            var content_type: String
            var filename: String?
            var disposition: String?
            var hex: String?
            var text: String?
            var defects: [String]?
        }
        var subject: String
        var parts: [Part]
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("two attachments (bytes 0–255 and 請求書.pdf) arrive byte for byte with their names decoded")
    func attachments() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD"), let maildir = TestEnvironment.required("SMTP_AIOSMTPD_MAILDIR")
        else { return }
        let allBytes = (0...255).map { UInt8($0) }
        var generator = SystemRandomNumberGenerator()
        // Bytes that look like line ends, dots and NULs at line starts, plus random ones.
        let pdf = Array("%PDF-1.4\r\n.\r\n..\n\r\0".utf8) + (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let marker = "attach-" + UUID().uuidString
        var request = textRequest(subject: "\(marker) 添付", body: "本文です。\n.\nend\n")
        request.attachments = [
            MailAttachment(filename: "bytes.bin", data: allBytes),
            MailAttachment(filename: "請求書.pdf", contentType: "application/pdf", data: pdf),
        ]
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(request)
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: SMTPSettings(host: peer.host, port: peer.port, heloName: "client.example.com", timeout: 10),
            options: SenderOptions(once: true))
        let report = try sender.run()
        #expect(report.sent == 1 && report.allSent, "\(report)")
        #expect(try store.details(id).status == .sent)

        let messageID = try store.details(id).request.messageID
        let messages = Maildir.await(1, in: maildir, containing: messageID)
        let file = try #require(messages.keys.first, "the message with \(messageID) arrived")
        #expect(messages.count == 1, "once")

        let directory = try temporaryDirectory()
        try Self.parser.write(toFile: directory + "/parse.py", atomically: true, encoding: .utf8)
        let parsed = try runProcess("python3", [directory + "/parse.py", file], timeout: 60)
        #expect(parsed.status == 0, "the strict parser accepts the message: \(parsed.stderr)")
        let result = try JSONDecoder().decode(Parsed.self, from: Data(parsed.stdout.utf8))
        #expect(result.subject == "\(marker) 添付")
        #expect(result.parts.allSatisfy { $0.defects == nil }, "\(result.parts.compactMap(\.defects))")

        let body = try #require(result.parts.first { $0.content_type == "text/plain" })
        #expect(body.text == "本文です。\n.\nend\n", "\(body.text ?? "-")")
        let files = result.parts.filter { $0.filename != nil }
        #expect(files.map(\.filename) == ["bytes.bin", "請求書.pdf"])
        #expect(files.map(\.disposition) == ["attachment", "attachment"])
        #expect(files.first?.content_type == "application/octet-stream")
        #expect(files.last?.content_type == "application/pdf")
        #expect(files.first?.hex == Self.hex(allBytes), "bytes 0–255 intact")
        #expect(files.last?.hex == Self.hex(pdf), "the PDF intact (\(pdf.count) bytes)")
    }
}
