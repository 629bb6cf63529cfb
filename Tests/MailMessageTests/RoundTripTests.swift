import Foundation
import MailMessage
import Testing

/// Generated messages parsed back by Python's email package with the strict policy (which
/// raises on any defect): headers, bodies, charsets and attachment bytes come back unchanged.
@Suite struct RoundTripTests {
    static let japaneseSubject = "【重要】会議のお知らせ：明日１０時から第３会議室で"
    static let japaneseBody = "山田様\n\nいつもお世話になっております。\n明日の会議の資料を添付します。\n\n― 送信者より\n"

    @Test(arguments: MessageCharset.allCases)
    func japaneseSubjectBodyAndAttachmentName(_ charset: MessageCharset) throws {
        var message = try MailMessage(
            from: "送信者 <sender@example.jp>", to: ["山田 太郎 <taro@example.jp>", "plain@example.jp"],
            cc: ["\"Doe, John\" <john@example.com>"], bcc: ["hidden@example.jp"], replyTo: ["返信先 <reply@example.jp>"],
            returnPath: "bounce@example.jp", subject: Self.japaneseSubject, text: Self.japaneseBody, charset: charset)
        message.headers = [MailHeader("X-Mailer", "smtp-conversation"), MailHeader("X-Note", "日本語の追加ヘッダ")]
        let pdf = sampleBytes(10_000)
        message.attachments = [Attachment(filename: "会議資料 2024年.pdf", contentType: "application/pdf", bytes: pdf)]
        let bytes = try message.encoded()
        let parsed = try #require(try parseWithPython([bytes]).first)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        #expect(parsed.defects.isEmpty)
        #expect(parsed.header("Subject") == Self.japaneseSubject)
        #expect(parsed.header("X-Note") == "日本語の追加ヘッダ")
        #expect(parsed.addresses("From") == [["送信者", "sender@example.jp"]])
        #expect(parsed.addresses("To") == [["山田 太郎", "taro@example.jp"], ["", "plain@example.jp"]])
        #expect(parsed.addresses("Cc") == [["Doe, John", "john@example.com"]])
        #expect(parsed.addresses("Reply-To") == [["返信先", "reply@example.jp"]])
        #expect(parsed.header("Bcc") == nil, "Bcc must never be written")
        #expect(parsed.header("Return-Path") == nil, "Return-Path is the envelope sender, not a header")
        #expect(parsed.header("MIME-Version") == "1.0")
        #expect(parsed.header("Message-ID") == message.messageID)
        #expect(
            parsed.header("Date") == "Tue, 14 Nov 2023 07:13:20 +0900"
                || message.date.timeIntervalSince1970 != 1_700_000_000)
        let leaves = parsed.leaves
        try #require(leaves.count == 2)
        #expect(leaves[0]["content_type"] as? String == "text/plain")
        #expect(leaves[0]["charset"] as? String == charset.mimeName.lowercased())
        #expect(leaves[0]["text"] as? String == Self.japaneseBody.replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(leaves[1]["filename"] as? String == "会議資料 2024年.pdf")
        #expect(leaves[1]["disposition"] as? String == "attachment")
        #expect(leaves[1]["size"] as? Int == pdf.count)
        #expect(leaves[1]["sha256"] as? String == (try sha256(pdf)))
        #expect(parsed.maxLine <= 78)
        #expect(parsed.bareLF == 0)
        if charset == .iso2022JP {
            #expect(bytes.allSatisfy { $0 < 0x80 }, "ISO-2022-JP messages are 7-bit")
            #expect(leaves[0]["cte"] as? String == "7bit")
            #expect(String(decoding: bytes, as: UTF8.self).contains("=?ISO-2022-JP?B?"))
        }
    }

    @Test func alternativeRelatedAndMixedStructure() throws {
        var message = try sampleMessage()
        message.subject = "HTML with a logo"
        message.text = "Plain version\n"
        message.html = "<p>HTML version <img src=\"cid:logo@example.com\"></p>\n"
        let png = sampleBytes(3000, seed: 7)
        message.inlineParts = [
            .inline(contentID: "logo@example.com", filename: "logo.png", contentType: "image/png", source: .bytes(png))
        ]
        message.attachments = [
            Attachment(
                filename: "data.csv", contentType: "text/csv; header=present", bytes: Array("a,b\r\n1,2\r\n".utf8))
        ]
        let parsed = try #require(try parseWithPython([try message.encoded()]).first)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        let types = parsed.parts.map { $0["content_type"] as! String }
        #expect(
            types == [
                "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
                "text/csv",
            ])
        #expect(parsed.parts[2]["text"] as? String == "Plain version\n")
        #expect(parsed.parts[4]["text"] as? String == "<p>HTML version <img src=\"cid:logo@example.com\"></p>\n")
        #expect(parsed.parts[5]["content_id"] as? String == "<logo@example.com>")
        #expect(parsed.parts[5]["disposition"] as? String == "inline")
        #expect(parsed.parts[5]["sha256"] as? String == (try sha256(png)))
        #expect(parsed.parts[6]["text"] as? String == "a,b\n1,2\n")
    }

    /// Transfer encodings chosen by content: 7bit for short ASCII lines, quoted-printable for
    /// mostly-ASCII UTF-8 or over-long lines, base64 for mostly-Japanese UTF-8, 8bit only when
    /// allowed; every one decodes back to the text, and no line exceeds 998 octets.
    @Test func transferEncodingsFollowTheContent() throws {
        let cases: [(String, EncodingOptions, String)] = [
            ("ascii only\nsecond line\n", EncodingOptions(), "7bit"),
            (
                "mostly ASCII with one é and a long line " + String(repeating: "z", count: 2000) + "\n",
                EncodingOptions(), "quoted-printable"
            ),
            ("trailing spaces   \n=equals= and tabs\t\n.leading dot\n", EncodingOptions(), "7bit"),
            ("ほとんど日本語の本文です。\n", EncodingOptions(), "base64"),
            ("ほとんど日本語の本文です。\n", EncodingOptions(allow8Bit: true), "8bit"),
            ("mixed é line with trailing space \nend", EncodingOptions(), "quoted-printable"),
            ("CR only\rand CRLF\r\nand LF\n", EncodingOptions(), "7bit"),
        ]
        var messages: [[UInt8]] = []
        for (text, options, _) in cases {
            var message = try sampleMessage()
            message.text = text
            messages.append(try message.encoded(options: options))
        }
        let parsed = try parseWithPython(messages)
        for (index, (text, _, encoding)) in cases.enumerated() {
            let result = parsed[index]
            #expect(result.error == nil, "\(result.error ?? "")")
            #expect(result.header("Content-Transfer-Encoding") == encoding, "case \(index)")
            var expected = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            if !expected.hasSuffix("\n") { expected += "\n" }  // a single part's body ends the message's last line
            #expect(result.parts[0]["text"] as? String == expected, "case \(index)")
            #expect(result.maxLine <= 998)
        }
    }

    @Test func unrepresentableCharactersNameTheFieldAndCharacter() throws {
        var message = try sampleMessage(charset: .iso2022JP)
        message.subject = "番号①の件"
        do {
            _ = try message.encoded()
            Issue.record("① accepted in ISO-2022-JP")
        } catch let error as MessageError {
            #expect(error.kind == .unrepresentableCharacter)
            #expect(error.field == "Subject")
            #expect(error.description.contains("\"①\" (U+2460) at character 2"), "\(error)")
        }
        message = try sampleMessage(charset: .iso2022JP)
        message.text = "一行目\n二行目に𠮷野家\n"
        do {
            _ = try message.encoded()
            Issue.record("𠮷 accepted in ISO-2022-JP")
        } catch let error as MessageError {
            #expect(error.field == "text body")
            #expect(error.description.contains("U+20BB7"), "\(error)")
            #expect(error.description.contains("at character 8"), "\(error)")
        }
        message = try sampleMessage(charset: .shiftJIS)
        message.to = [try MailAddress(address: "t@example.com", displayName: "Ελένη")]
        message.to[0] = try MailAddress(address: "t@example.com", displayName: "山田😀")
        do {
            _ = try message.encoded()
            Issue.record("emoji accepted in Shift_JIS")
        } catch let error as MessageError {
            #expect(error.field == "To[0].displayName", "\(error)")
            #expect(error.description.contains("U+1F600"), "\(error)")
        }
    }

    @Test func addressParsingAndValidation() throws {
        let good = try MailAddress("\"Doe, \\\"JD\\\" John\" <john.doe+tag@mail.example.com>")
        #expect(good.displayName == "Doe, \"JD\" John")
        #expect(good.address == "john.doe+tag@mail.example.com")
        #expect(try MailAddress("<x@[192.0.2.1]>").address == "x@[192.0.2.1]")
        #expect(try MailAddress("\"a b\"@example.com").address == "\"a b\"@example.com")
        #expect(try MailAddress("用户@例子.广告").needsSMTPUTF8)
        for bad in [
            "", "no-at", "@example.com", "a@", "a..b@example.com", ".a@example.com", "a b@example.com",
            "a@-example.com", "a@exa_mple.com", "a@example..com", "a@[300.1.1.1]", "a(b)@example.com",
            "\"open@example.com",
        ] {
            do {
                _ = try MailAddress(bad, field: "To[3]")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.kind == .invalidAddress, "\(bad): \(error)")
                #expect(error.field == "To[3]")
            }
        }
        // A display name that needs quoting is quoted, and read back the same.
        var message = try sampleMessage()
        message.to = [good, try MailAddress("O'Brien (work) <ob@example.com>")]
        let parsed = try #require(try parseWithPython([try message.encoded()]).first)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        #expect(
            parsed.addresses("To") == [
                ["Doe, \"JD\" John", "john.doe+tag@mail.example.com"], ["O'Brien (work)", "ob@example.com"],
            ])
    }

    @Test func envelopeAndSMTPUTF8Planning() throws {
        var message = try MailMessage(
            from: "a@example.com", to: ["x@example.com", "X@example.com"], cc: ["y@example.com"],
            bcc: ["z@example.com", "y@example.com"], returnPath: "bounce@example.com")
        #expect(message.envelopeSender == "bounce@example.com")
        #expect(message.envelopeRecipients == ["x@example.com", "y@example.com", "z@example.com"])
        message.returnPath = nil
        #expect(message.envelopeSender == "a@example.com")
        // A single recipient in any of To, Cc or Bcc; non-ASCII in any address field.
        for (to, cc, bcc) in [(["t@example.com"], [], []), ([], ["c@example.com"], []), ([], [], ["b@example.com"])] as [([String], [String], [String])] {
            let single = try MailMessage(from: "a@example.com", to: to, cc: cc, bcc: bcc)
            #expect(single.envelopeRecipients == to + cc + bcc)
            #expect(!single.needsSMTPUTF8)
        }
        let plain = try MailMessage(from: "a@example.com", to: ["t@example.com"])
        let wide = try MailAddress("用户@例子.广告")
        for change in [{ (m: inout MailMessage) in m.from = wide }, { $0.sender = wide }, { $0.returnPath = wide },
                       { $0.to = [wide] }, { $0.bcc = [wide] }, { $0.replyTo = [wide] }] as [(inout MailMessage) -> Void] {
            var changed = plain
            change(&changed)
            #expect(changed.needsSMTPUTF8)
        }
        message.cc = [try MailAddress("用户@例子.广告")]
        #expect(message.needsSMTPUTF8)
        #expect(
            throws: MessageError(
                .smtpUTF8Required, field: "Cc[0]",
                reason: "\"用户@例子.广告\" is not ASCII and the server does not offer SMTPUTF8")
        ) {
            try message.plan(for: nil)
        }
        do {
            _ = try message.encoded()
            Issue.record("UTF-8 address written without SMTPUTF8")
        } catch let error as MessageError {
            #expect(error.kind == .smtpUTF8Required && error.field == "Cc[0]")
        }
        let bytes = try message.encoded(options: EncodingOptions(allowSMTPUTF8: true))
        #expect(String(decoding: bytes, as: UTF8.self).contains("Cc: 用户@例子.广告\r\n"))
    }

    @Test func stableMessageIDs() throws {
        let id = try MessageID.stable(unique: "req-42.20240102", domain: "queue.example.com")
        #expect(id == "<req-42.20240102@queue.example.com>")
        #expect(throws: MessageError.self) { try MessageID.stable(unique: "has space", domain: "example.com") }
        let a = try sampleMessage().messageID
        let b = try sampleMessage().messageID
        #expect(a != b)
        #expect(a.hasSuffix("@example.com>"))
    }
}
