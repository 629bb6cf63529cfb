import SMTPConversation
import Testing

@Suite("Reply parser")
struct ReplyParserTests {
    struct Case: Sendable, CustomStringConvertible {
        let wire: String
        let code: Int
        let lines: [String]
        var description: String { wire.debugDescription }
    }

    static let good: [Case] = [
        Case(wire: "220 mail.example.com ESMTP\r\n", code: 220, lines: ["mail.example.com ESMTP"]),
        // RFC 5321 §4.2.1: only the first three characters are the code.
        Case(wire: "250-234 Text beginning with numbers\r\n250 The last line\r\n", code: 250,
             lines: ["234 Text beginning with numbers", "The last line"]),
        Case(wire: "250-mail.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n", code: 250,
             lines: ["mail.example.com", "PIPELINING", "8BITMIME"]),
        // A bare code is a complete last line.
        Case(wire: "250\r\n", code: 250, lines: [""]),
        // The missing space after the code on the last line is tolerated.
        Case(wire: "250-first\r\n250last\r\n", code: 250, lines: ["first", "last"]),
        // A bare LF ends a line too.
        Case(wire: "354 go ahead\n", code: 354, lines: ["go ahead"]),
        Case(wire: "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.\r\n",
             code: 535, lines: ["5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."]),
        Case(wire: "220 2.0.0 日本語も読める\r\n", code: 220, lines: ["2.0.0 日本語も読める"]),
    ]

    @Test("bytes to replies", arguments: good)
    func parses(_ item: Case) throws {
        var parser = ReplyParser()
        parser.append(Array(item.wire.utf8))
        let reply = try #require(try parser.nextReply())
        #expect(reply.code == item.code)
        #expect(reply.lines == item.lines)
        #expect(try parser.nextReply() == nil)
    }

    @Test("replies to bytes and back", arguments: good.filter { !$0.wire.contains("250last") && $0.wire.hasSuffix("\r\n") })
    func roundTrips(_ item: Case) throws {
        let reply = Reply(code: item.code, lines: item.lines)
        #expect(String(decoding: reply.wireBytes, as: UTF8.self) == item.wire)
    }

    @Test("a reply split at every byte boundary parses the same")
    func incremental() throws {
        let wire = Array("250-mail.example.com\r\n250-SIZE 1000\r\n250 HELP\r\n220 next\r\n".utf8)
        for split in 0...wire.count {
            var parser = ReplyParser()
            parser.append(wire[..<split])
            var replies: [Reply] = []
            while let reply = try parser.nextReply() { replies.append(reply) }
            parser.append(wire[split...])
            while let reply = try parser.nextReply() { replies.append(reply) }
            #expect(replies.map(\.code) == [250, 220], "split at \(split)")
            #expect(replies.first?.lines == ["mail.example.com", "SIZE 1000", "HELP"])
        }
    }

    static let malformed: [(String, String)] = [
        ("HTTP/1.1 400 Bad Request\r\n", "malformedReply"),
        ("250-first\r\n251 second\r\n", "malformedReply"),
        ("25\r\n", "malformedReply"),
        ("650 bad class\r\n", "malformedReply"),
        ("2x0 letters\r\n", "malformedReply"),
        ("250 nul\u{0} inside\r\n", "malformedReply"),
        ("250 " + String(repeating: "x", count: 3000) + "\r\n", "lineTooLong"),
        ("250 " + String(repeating: "y", count: 3000), "lineTooLong"),
    ]

    @Test("malformed input is a typed error, never a crash", arguments: malformed)
    func malformedInput(_ wire: String, _ kind: String) {
        var parser = ReplyParser()
        parser.append(Array(wire.utf8))
        #expect {
            _ = try parser.nextReply()
        } throws: { error in
            (error as? SMTPError)?.kindName == kind
        }
    }

    @Test("text that is not UTF-8 keeps its code and is shown escaped")
    func invalidUTF8() throws {
        var parser = ReplyParser()
        parser.append([0x32, 0x35, 0x30, 0x20, 0xFF, 0xFE, 0x41, 0x0D, 0x0A])
        let reply = try #require(try parser.nextReply())
        #expect(reply.code == 250)
        #expect(reply.lines == [#"\xFF\xFEA"#])
        // Shift_JIS "了解" (0x97 0xB9 0x89 0xF0): a Japanese server's 250 to the final dot.
        parser.append([0x32, 0x35, 0x30, 0x20, 0x97, 0xB9, 0x89, 0xF0, 0x20, 0xE6, 0x97, 0xA5, 0x0D, 0x0A])
        let sjis = try #require(try parser.nextReply())
        #expect(sjis.code == 250)
        #expect(sjis.lines == [#"\x97\xB9\x89\xF0 日"#])
    }

    @Test("a four-digit code is malformed, not code 250", arguments: ["2500 hi\r\n", "250-first\r\n2501 second\r\n"])
    func fourDigits(_ wire: String) {
        var parser = ReplyParser()
        parser.append(Array(wire.utf8))
        #expect {
            _ = try parser.nextReply()
        } throws: { error in
            (error as? SMTPError)?.kindName == "malformedReply"
        }
    }

    @Test("a reply is capped in lines and in octets")
    func replyCaps() throws {
        // At the caps: accepted.
        var parser = ReplyParser(maxLines: 4, maxBytes: 64)
        parser.append(Array("250-a\r\n250-b\r\n250-c\r\n250 d\r\n".utf8))
        #expect(try parser.nextReply()?.lines == ["a", "b", "c", "d"])
        // One line more, or more octets: a malformed reply.
        for wire in ["250-a\r\n250-b\r\n250-c\r\n250-d\r\n250 e\r\n",
                     "250-" + String(repeating: "x", count: 40) + "\r\n250 " + String(repeating: "y", count: 20) + "\r\n"] {
            var capped = ReplyParser(maxLines: 4, maxBytes: 64)
            capped.append(Array(wire.utf8))
            #expect {
                _ = try capped.nextReply()
            } throws: { error in
                guard let error = error as? SMTPError, error.code == .malformedReply, let text = error.message else { return false }
                return text.contains("4 lines or 64 octets")
            }
        }
        // The defaults.
        let defaults = ReplyParser()
        #expect(defaults.maxLines == 512 && defaults.maxBytes == 65536)
    }

    @Test("enhanced status codes", arguments: [
        ("250 2.1.5 Recipient OK", "2.1.5"), ("535 5.7.139 Authentication unsuccessful", "5.7.139"),
        ("550 User unknown", nil), ("250 5.1.1 class disagrees with the code", nil), ("451 4.7.500 x", "4.7.500"),
    ] as [(String, String?)])
    func enhancedStatus(_ wire: String, _ expected: String?) throws {
        var parser = ReplyParser()
        parser.append(Array((wire + "\r\n").utf8))
        let reply = try #require(try parser.nextReply())
        #expect(reply.enhancedStatusCode?.description == expected)
    }

    @Test("enhanced status code patterns")
    func statusPatterns() throws {
        let code = try #require(EnhancedStatusCode("5.7.139"))
        #expect(code.matches("5.7.139") && code.matches("5.7.x") && code.matches("5.x.x"))
        #expect(!code.matches("5.7.3") && !code.matches("4.x.x"))
    }
}
