import Foundation
import MailMessage
import Testing

/// Every value that reaches a header, the envelope or a MIME parameter is tried with CR, LF and
/// NUL (header injection) and with over-long input.
@Suite struct HeaderInjectionTests {
    /// Each case sets one field to a value and encodes; the field's name as errors must give it.
    static let fields: [(field: String, set: @Sendable (String) throws -> Void)] = [
        ("From", { v in _ = try MailMessage(from: "a\(v)b@example.com").encoded() }),
        (
            "From.displayName",
            { v in
                var m = try sampleMessage()
                m.from = try MailAddress(
                    address: "a@example.com", displayName: "Evil\(v)Bcc: x@evil.example", field: "From")
                _ = try m.encoded()
            }
        ),
        (
            "Sender",
            { v in
                var m = try sampleMessage()
                m.sender = try MailAddress("s\(v)@example.com", field: "Sender")
                _ = try m.encoded()
            }
        ),
        ("To[0]", { v in _ = try MailMessage(from: "a@example.com", to: ["Name\(v) <t@example.com>"]).encoded() }),
        (
            "Cc[1]",
            { v in _ = try MailMessage(from: "a@example.com", cc: ["c@example.com", "c\(v)@example.com"]).encoded() }
        ),
        ("Bcc[0]", { v in _ = try MailMessage(from: "a@example.com", bcc: ["b@example.com\(v)"]).encoded() }),
        ("Reply-To[0]", { v in _ = try MailMessage(from: "a@example.com", replyTo: ["r@exam\(v)ple.com"]).encoded() }),
        (
            "Return-Path",
            { v in _ = try MailMessage(from: "a@example.com", returnPath: "bounce\(v)@example.com").encoded() }
        ),
        (
            "Subject",
            { v in
                var m = try sampleMessage()
                m.subject = "hi\(v)Bcc: victim@example.com"
                _ = try m.encoded()
            }
        ),
        (
            "Message-ID",
            { v in
                var m = try sampleMessage()
                m.messageID = "<a\(v)b@example.com>"
                _ = try m.encoded()
            }
        ),
        (
            "headers[0].name",
            { v in
                var m = try sampleMessage()
                m.headers = [MailHeader("X-A\(v)B", "v")]
                _ = try m.encoded()
            }
        ),
        (
            "headers[0] (X-Note)",
            { v in
                var m = try sampleMessage()
                m.headers = [MailHeader("X-Note", "v\(v)Bcc: x@y.z")]
                _ = try m.encoded()
            }
        ),
        (
            "attachments[0].filename",
            { v in
                var m = try sampleMessage()
                m.attachments = [Attachment(filename: "a\(v).pdf", bytes: [1])]
                _ = try m.encoded()
            }
        ),
        (
            "attachments[0].contentType",
            { v in
                var m = try sampleMessage()
                m.attachments = [Attachment(filename: "a.pdf", contentType: "application/pdf\(v)X-Evil: 1", bytes: [1])]
                _ = try m.encoded()
            }
        ),
        (
            "inlineParts[0].contentID",
            { v in
                var m = try sampleMessage()
                m.html = "<img src=\"cid:logo@x\">"
                m.inlineParts = [
                    .inline(
                        contentID: "logo\(v)@x", filename: "logo.png", contentType: "image/png", source: .bytes([1]))
                ]
                _ = try m.encoded()
            }
        ),
    ]

    @Test(arguments: ["\r", "\n", "\u{0}", "\r\n"])
    func everyFieldRefusesLineBreaksAndNUL(_ injected: String) throws {
        let name = ["\r": "CR", "\n": "LF", "\u{0}": "NUL", "\r\n": "CR"][injected]!
        for (field, set) in Self.fields {
            do {
                try set(injected)
                Issue.record("\(field) accepted \(name)")
            } catch let error as MessageError {
                #expect(error.kind == .headerInjection, "\(field): \(error)")
                #expect(error.field == field, "\(error)")
                #expect(error.description.contains(name), "\(error)")
            }
        }
    }

    @Test func unicodeLineSeparatorsAreRefusedToo() throws {
        var message = try sampleMessage()
        message.subject = "a\u{2028}b"
        #expect(throws: MessageError.self) { try message.encoded() }
        #expect(throws: MessageError.self) { try MailAddress(address: "a@example.com", displayName: "x\u{85}y") }
    }

    @Test func overLongAddressesAreRefusedWithTheLimit() throws {
        let local = String(repeating: "a", count: 65)
        #expect(
            throws: MessageError(
                .tooLong, field: "To[0]",
                reason:
                    "the local part of \"\(local)@example.com…\" is 65 octets; at most 64 are allowed (RFC 5321 §4.5.3.1.1)"
            )
        ) {
            try MailMessage(from: "a@example.com", to: ["\(local)@example.com"])
        }
        let label = String(repeating: "d", count: 64)
        do {
            _ = try MailAddress("x@\(label).example", field: "Cc[0]")
            Issue.record("a 64-octet label was accepted")
        } catch {
            #expect(error.kind == .tooLong && error.field == "Cc[0]")
        }
        let domain = (0..<60).map { _ in "abcd" }.joined(separator: ".")
        #expect(throws: MessageError.self) { try MailAddress("x@\(domain)", field: "Reply-To[0]") }
    }

    @Test func overLongMessageIDAndHeaderNameAreRefused() throws {
        var message = try sampleMessage()
        message.messageID = "<\(String(repeating: "m", count: 300))@example.com>"
        do {
            _ = try message.encoded()
            Issue.record("long Message-ID accepted")
        } catch let error as MessageError {
            #expect(error.kind == .tooLong && error.field == "Message-ID")
        }
        message = try sampleMessage()
        message.headers = [MailHeader("X-" + String(repeating: "n", count: 100), "v")]
        do {
            _ = try message.encoded()
            Issue.record("long header name accepted")
        } catch let error as MessageError {
            #expect(error.kind == .invalidHeader && error.field == "headers[0].name")
        }
        message.headers = [MailHeader("Bcc", "someone@example.com")]
        do {
            _ = try message.encoded()
            Issue.record("reserved header accepted")
        } catch let error as MessageError {
            #expect(error.kind == .invalidHeader && error.description.contains("Bcc"))
        }
    }

    /// Over-long free text is folded (or encoded) into short lines that a real parser reads back
    /// exactly: no line over 78 octets where the value had a place to break, none over 998 ever.
    @Test func overLongFreeTextIsFoldedAndReadBackExactly() throws {
        var message = try sampleMessage()
        let words = (0..<800).map { "word\($0)" }.joined(separator: " ")
        let unbroken = String(repeating: "x", count: 5000)
        let japanese = String(repeating: "長い件名です。", count: 300)
        let name = String(repeating: "名前", count: 500)
        message.subject = words
        message.headers = [MailHeader("X-Unbroken", unbroken), MailHeader("X-Japanese", japanese)]
        message.to = [try MailAddress(address: "t@example.com", displayName: name)]
        let fileName = String(repeating: "添付ファイル", count: 100) + ".txt"
        message.attachments = [
            Attachment(filename: fileName, contentType: "text/plain; charset=us-ascii", bytes: Array("x".utf8))
        ]
        let bytes = try message.encoded()
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let headerLines = lines.prefix { !$0.isEmpty }
        #expect(headerLines.allSatisfy { $0.utf8.count <= 78 }, "\(headerLines.filter { $0.utf8.count > 78 })")
        let parsed = try #require(try parseWithPython([bytes]).first)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        #expect(parsed.header("Subject") == words)
        #expect(parsed.header("X-Unbroken") == unbroken)
        #expect(parsed.header("X-Japanese") == japanese)
        // CPython's address parser puts a space between adjacent encoded words of a display name
        // (RFC 2047 §6.2 says to drop it; its own generator's output reads back the same way),
        // so compare without spaces: the name has none.
        let to = parsed.addresses("To")
        #expect(
            to.count == 1 && to[0][0].replacingOccurrences(of: " ", with: "") == name && to[0][1] == "t@example.com")
        #expect(parsed.leaves.last?["filename"] as? String == fileName)
        #expect(parsed.maxLine <= 998)
    }

    @Test func anEncodedWordLookalikeStaysLiteral() throws {
        var message = try sampleMessage()
        message.subject = "=?UTF-8?B?SGk=?= is not decoded"
        let parsed = try #require(try parseWithPython([try message.encoded()]).first)
        #expect(parsed.header("Subject") == "=?UTF-8?B?SGk=?= is not decoded")
    }
}
