import Foundation
import MailMessage
import Testing

/// Attachments from files are read and encoded chunk by chunk: the sink never receives the
/// whole message at once, and every file size (around base64's 3-byte groups, 57-byte lines and
/// the read size) decodes back to the same bytes.
@Suite struct StreamingTests {
    @Test func fileAttachmentsOfAwkwardSizesDecodeExactly() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let readSize = 57 * 1150
        let sizes = [0, 1, 2, 3, 56, 57, 58, 100, readSize - 1, readSize, readSize + 1, 3 * readSize + 2]
        var messages: [[UInt8]] = []
        var contents: [[UInt8]] = []
        for size in sizes {
            let bytes = sampleBytes(size, seed: UInt64(size) + 1)
            let path = directory.appendingPathComponent("f\(size).bin").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            var message = try sampleMessage()
            message.attachments = [
                Attachment(filename: "f\(size).bin", file: path),
                Attachment(filename: "m\(size).bin", bytes: bytes),
            ]
            messages.append(try message.encoded())
            contents.append(bytes)
        }
        let parsed = try parseWithPython(messages)
        for (index, size) in sizes.enumerated() {
            let result = parsed[index]
            #expect(result.error == nil, "size \(size): \(result.error ?? "")")
            let hash = try sha256(contents[index])
            #expect(
                result.leaves[1]["size"] as? Int == size && result.leaves[1]["sha256"] as? String == hash,
                "file, size \(size)")
            #expect(
                result.leaves[2]["size"] as? Int == size && result.leaves[2]["sha256"] as? String == hash,
                "memory, size \(size)")
            #expect(result.maxLine <= 78)
        }
    }

    @Test func aLargeFileIsStreamedInBoundedChunks() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("big.bin").path
        let content = sampleBytes(8 * 1024 * 1024 + 5, seed: 99)
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        var message = try sampleMessage()
        message.attachments = [Attachment(filename: "big.bin", file: path)]
        var chunks = 0
        var largest = 0
        var total: [UInt8] = []
        try message.encode { chunk in
            chunks += 1
            largest = max(largest, chunk.count)
            total += chunk
        }
        #expect(chunks > 100, "an 11 MB encoding arrives in many chunks, got \(chunks)")
        #expect(largest <= 200 * 1024, "largest chunk \(largest) bytes")
        let parsed = try #require(try parseWithPython([total]).first)
        #expect(parsed.error == nil)
        #expect(parsed.leaves[1]["sha256"] as? String == (try sha256(content)))
    }

    @Test func anUnreadableAttachmentIsNamedAndCaughtBeforeSending() throws {
        var message = try sampleMessage()
        message.attachments = [
            Attachment(filename: "ok.txt", bytes: [65]),
            Attachment(filename: "gone.pdf", file: "/nonexistent/gone.pdf"),
        ]
        do {
            try message.validate()
            Issue.record("validate accepted a missing file")
        } catch {
            #expect(error.kind == .attachmentUnreadable)
            #expect(error.field == "attachments[1].file")
            #expect(
                error.description.contains("/nonexistent/gone.pdf") && error.description.contains("No such file"),
                "\(error)")
        }
        var received = 0
        #expect(throws: MessageError.self) { try message.encode { received += $0.count } }
    }

    @Test func aSinkErrorStopsEncoding() throws {
        struct Stop: Error {}
        var message = try sampleMessage()
        message.attachments = [Attachment(filename: "a.bin", bytes: sampleBytes(1_000_000))]
        var calls = 0
        #expect(throws: Stop.self) {
            try message.encode { _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }

    @Test func validateRequiresARecipient() throws {
        let message = try MailMessage(from: "a@example.com", subject: "nobody")
        #expect(
            throws: MessageError(.noRecipient, field: "To", reason: "the message has no recipient in To, Cc or Bcc")
        ) {
            try message.validate()
        }
    }
}
