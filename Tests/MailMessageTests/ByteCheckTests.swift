import MailMessage
import Testing

/// The header checks run on UTF-8 bytes (every header of every queued message passes them);
/// these pin what they accept and refuse, multi-byte characters next to the refused ones included.
@Suite("Header checks on bytes")
struct ByteCheckTests {
    @Test("Message-IDs: dot-atom or domain literal on the right, ASCII dot-atom on the left")
    func messageIDs() throws {
        for good in ["req-42.x", "a!#$%&'*+-/=?^_`{|}~z", "1.2.3"] {
            #expect(try MessageID.stable(unique: good, domain: "queue.example.com") == "<\(good)@queue.example.com>")
        }
        #expect(try MessageID.stable(unique: "a", domain: "[192.0.2.1]") == "<a@[192.0.2.1]>")
        for bad in ["", ".a", "a.", "a..b", "a b", "ä", "a(b)", "a\"b", "a,b"] {
            #expect(throws: MessageError.self, "\(bad)") { try MessageID.stable(unique: bad, domain: "example.com") }
        }
        for bad in ["", "example..com", "example.com.", "exämple.com", "ex ample.com"] {
            #expect(throws: MessageError.self, "\(bad)") { try MessageID.stable(unique: "a", domain: bad) }
        }
        #expect(throws: MessageError.self) {
            try MailMessage(from: "a@example.com", to: ["b@example.com"], subject: "s", text: "t", messageID: "a@example.com").encoded()
        }
        #expect(throws: MessageError.self) {
            try MailMessage(from: "a@example.com", to: ["b@example.com"], subject: "s", text: "t", messageID: "<>").encoded()
        }
    }

    @Test("line separators are refused in headers, other multi-byte characters are not")
    func separators() throws {
        for (text, name) in [("x\u{2028}y", "U+2028"), ("x\u{2029}", "U+2029"), ("\u{85}x", "U+0085"), ("a\rb", "CR"), ("a\0", "NUL")] {
            do {
                _ = try MailMessage(from: "a@example.com", to: ["b@example.com"], subject: text, text: "t").encoded()
                Issue.record("\(name) accepted")
            } catch let error as MessageError {
                #expect(error.kind == .headerInjection && error.description.contains(name), "\(error)")
            } catch {
                Issue.record("\(name): \(error)")
            }
        }
        // C2/E2 lead bytes of harmless characters: ©, €, ‐ (U+2010), — (U+2014).
        let subject = "© € ‐ — é Ā"
        let message = try MailMessage(from: "a@example.com", to: ["b@example.com"], subject: subject, text: "t")
        #expect(try message.encoded().count > 0)
    }

    @Test("=? in a subject makes encoded words; = and ? apart do not")
    func encodedWordStart() throws {
        func subjectLine(_ subject: String) throws -> String {
            let message = try MailMessage(from: "a@example.com", to: ["b@example.com"], subject: subject, text: "t")
            let text = String(decoding: try message.encoded(), as: UTF8.self)
            return String(text.split(separator: "\r\n").first { $0.hasPrefix("Subject:") } ?? "")
        }
        #expect(try subjectLine("a = b ? c") == "Subject: a = b ? c")
        #expect(try subjectLine("x=?y").contains("=?UTF-8?"))
        #expect(try subjectLine("==?").contains("=?UTF-8?"))
    }

    @Test("text bodies: NUL refused at its byte, line breaks made CRLF, the 8-bit share picks the encoding")
    func textBodies() throws {
        func encoded(_ text: String, allow8Bit: Bool = false) throws -> String {
            let message = try MailMessage(from: "a@example.com", to: ["b@example.com"], subject: "s", text: text)
            return String(decoding: try message.encoded(options: EncodingOptions(allow8Bit: allow8Bit)), as: UTF8.self)
        }
        do {
            _ = try encoded("ab\ncd\0e")
            Issue.record("NUL accepted")
        } catch let error as MessageError {
            #expect(error.kind == .unrepresentableCharacter && error.description.contains("byte 5"), "\(error)")
        }
        let plain = try encoded("one\ntwo\r\nthree\rfour")
        #expect(plain.contains("Content-Transfer-Encoding: 7bit\r\n"))
        #expect(plain.hasSuffix("\r\n\r\none\r\ntwo\r\nthree\r\nfour\r\n"), "\(plain)")
        #expect(try encoded("caf\u{E9} au lait, mostly ASCII text").contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(try encoded("日本語のメールです").contains("Content-Transfer-Encoding: base64"))
        #expect(try encoded("日本語のメールです", allow8Bit: true).contains("Content-Transfer-Encoding: 8bit"))
    }

    @Test("addresses: the angle brackets found next to multi-byte display names")
    func namedAddresses() throws {
        let named = try MailAddress("山田 太郎 <taro@example.jp>")
        #expect(named.displayName == "山田 太郎" && named.address == "taro@example.jp")
        let bare = try MailAddress(" \t<hanako@example.jp>  ")
        #expect(bare.displayName == nil && bare.address == "hanako@example.jp")
        let utf8 = try MailAddress("José <josé@exämple.com>")
        #expect(utf8.displayName == "José" && utf8.address == "josé@exämple.com" && utf8.needsSMTPUTF8)
        for bad in ["taro@example.jp>", "山田 <taro@example.jp", "<>", "名前 <>"] {
            #expect(throws: MessageError.self, "\(bad)") { try MailAddress(bad) }
        }
    }
}
