import Foundation
import SMTPConversation
import Testing

/// The mail transaction engine (`SMTPConnection.send(_:next:beforeFinalDot:)`) over an
/// in-memory stream: a scripted server and the exact bytes the client must send.
@Suite("Transaction engine")
struct TransactionEngineTests {
    static let ehloPipelining = "250-mx.example.com\n250-PIPELINING\n250 8BITMIME"
    static let ehloPlain = "250-mx.example.com\n250 8BITMIME"

    static func mail(_ recipients: [String] = ["bob@example.com"], body: String = "Subject: hi\r\n\r\nhello\r\n")
        -> MailTransaction
    {
        MailTransaction(envelope: Envelope(sender: "alice@example.com", recipients: recipients), content: .bytes(Array(body.utf8)))
    }

    /// A connection after EHLO to a server playing `turns` (after its greeting and EHLO reply).
    static func connect(_ turns: [ScriptedServer.Turn], pipelining: Bool) throws -> (SMTPConnection, ScriptedServer) {
        let server = ScriptedServer([.reply("220 mx.example.com ESMTP"), .reply(pipelining ? ehloPipelining : ehloPlain)] + turns)
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10)
        try connection.ehlo("client.example.com")
        return (connection, server)
    }

    @Test("one transaction without PIPELINING: one command per write, the body and the dot in one")
    func oneStepByStep() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 2.0.0 queued as 1"), .reply("221 bye")],
            pipelining: false)
        var hooks = 0
        let result = try connection.send(Self.mail()) { _ in
            hooks += 1
            return true
        }
        try connection.quit()
        #expect(result.isDelivered && result.isOutcomeKnown && result.failure == nil)
        #expect(result.finalReply?.lines == ["2.0.0 queued as 1"])
        #expect(hooks == 1)
        #expect(server.clientWrites == [
            "EHLO client.example.com\r\n", "MAIL FROM:<alice@example.com>\r\n", "RCPT TO:<bob@example.com>\r\n", "DATA\r\n",
            "Subject: hi\r\n\r\nhello\r\n.\r\n", "QUIT\r\n",
        ])
    }

    @Test("one pipelined transaction: MAIL, RCPTs and DATA in one write; dot-stuffing and bare LF")
    func onePipelined() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued"), .reply("221 bye")],
            pipelining: true)
        let result = try connection.send(Self.mail(["bob@example.com", "carol@example.com"], body: "Subject: x\n\n.dot\nend"))
        try connection.quit()
        #expect(result.isDelivered && result.acceptedRecipients == ["bob@example.com", "carol@example.com"])
        #expect(server.clientWrites == [
            "EHLO client.example.com\r\n",
            "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n",
            "Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n", "QUIT\r\n",
        ])
    }

    @Test("several pipelined transactions: each next envelope rides behind the final dot")
    func severalPipelined() throws {
        let (connection, server) = try Self.connect(
            [
                .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued as 1"),
                .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued as 2"),
                .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued as 3"), .reply("221 bye"),
            ], pipelining: true)
        let mails = (1...3).map { Self.mail(["r\($0)@example.com"], body: "m\($0)\r\n") }
        var beforeDot: [String] = []
        var results: [MailResult] = []
        for (index, mail) in mails.enumerated() {
            let next = index + 1 < mails.count ? mails[index + 1] : nil
            results.append(try connection.send(mail, next: next) { _ in
                beforeDot.append(server.clientBytes)
                return true
            })
            #expect(connection.envelopeAhead == next?.envelope)
        }
        try connection.quit()
        #expect(results.map(\.finalReply?.lines) == [["queued as 1"], ["queued as 2"], ["queued as 3"]])
        let envelope = { (n: Int) in "MAIL FROM:<alice@example.com>\r\nRCPT TO:<r\(n)@example.com>\r\nDATA\r\n" }
        #expect(server.clientWrites == [
            "EHLO client.example.com\r\n", envelope(1), "m1\r\n.\r\n" + envelope(2), "m2\r\n.\r\n" + envelope(3), "m3\r\n.\r\n",
            "QUIT\r\n",
        ])
        // The hook ran once per message, when everything before that message's body was out
        // and nothing of the body or its dot.
        #expect(beforeDot.count == 3)
        #expect(beforeDot[0].hasSuffix(envelope(1)) && !beforeDot[0].contains("m1"))
        #expect(beforeDot[1].hasSuffix("m1\r\n.\r\n" + envelope(2)) && !beforeDot[1].contains("m2"))
        #expect(beforeDot[2].hasSuffix("m2\r\n.\r\n" + envelope(3)) && !beforeDot[2].contains("m3"))
    }

    @Test("sendMails checks every envelope before the first message goes out: a bad one later sends nothing")
    func sendMailsChecksAllFirst() throws {
        let (connection, server) = try Self.connect([.reply("221 bye")], pipelining: true)
        for bad in [["x@example.com>\r\nRCPT TO:<evil@example.com"], []] {
            #expect {
                _ = try connection.sendMails([
                    OutgoingMail(sender: "alice@example.com", recipients: ["r1@example.com"], body: Array("m1\r\n".utf8)),
                    OutgoingMail(sender: "alice@example.com", recipients: bad, body: Array("m2\r\n".utf8)),
                ])
            } throws: { error in
                (error as? SMTPError)?.code == .invalidArgument && "\(error)".contains("send_mail")
            }
        }
        try connection.quit()
        // The first message was not sent either: a caller retrying the list sends it once.
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", "QUIT\r\n"])
    }

    @Test("sendMails stops where the server closed the connection: the results end with the message it answered 421")
    func sendMailsStopsAtClose() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("421 4.3.2 shutting down")], pipelining: true)
        let results = try connection.sendMails((1...3).map {
            OutgoingMail(sender: "alice@example.com", recipients: ["r\($0)@example.com"], body: Array("m\($0)\r\n".utf8))
        })
        #expect(results.count == 1 && results[0].finalReply?.code == 421 && !results[0].isDelivered)
        #expect(connection.isClosed)
        #expect(!server.clientBytes.contains("m2") && !server.clientBytes.contains("r3@"))
    }

    @Test("sendMails is the engine: the same writes as send(_:next:)")
    func sendMailsSameBytes() throws {
        let (connection, server) = try Self.connect(
            [
                .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued as 1"),
                .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued as 2"), .reply("221 bye"),
            ], pipelining: true)
        let results = try connection.sendMails([
            OutgoingMail(sender: "alice@example.com", recipients: ["r1@example.com"], body: Array("m1\r\n".utf8)),
            OutgoingMail(sender: "alice@example.com", recipients: ["r2@example.com"], body: Array("m2\r\n".utf8)),
        ])
        try connection.quit()
        #expect(results.map(\.isDelivered) == [true, true])
        let envelope = { (n: Int) in "MAIL FROM:<alice@example.com>\r\nRCPT TO:<r\(n)@example.com>\r\nDATA\r\n" }
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", envelope(1), "m1\r\n.\r\n" + envelope(2), "m2\r\n.\r\n", "QUIT\r\n"])
    }

    @Test("a next message that cannot go ahead (a line break in an address, no recipient, no content file) is left out: the dot goes alone")
    func unsendableNext() throws {
        let nexts = [
            Self.mail(["x@example.com>\r\nRCPT TO:<evil@example.com"]),
            Self.mail([]),
            MailTransaction(envelope: Envelope(sender: "alice@example.com", recipients: ["carol@example.com"]),
                            content: .file("/nonexistent/next.eml")),
        ]
        for next in nexts {
            let (connection, server) = try Self.connect(
                [.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued"), .reply("221 bye")], pipelining: true)
            let result = try connection.send(Self.mail(), next: next)
            #expect(result.isDelivered && connection.envelopeAhead == nil, "\(next.envelope)")
            // The next message is the caller's to send in its own turn, where it is refused
            // before anything of it is written.
            #expect(throws: SMTPError.self) { try connection.send(next) }
            try connection.quit()
            #expect(server.clientWrites == [
                "EHLO client.example.com\r\n", Self.mailFrom + Self.rcptBob + "DATA\r\n", Self.body, "QUIT\r\n",
            ], "nothing of the next envelope was written: \(next.envelope)")
        }
    }

    @Test("without PIPELINING the dot goes alone, a 4xx is returned, and the next message goes step by step")
    func nextWithoutPipelining() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("451 4.3.0 try later"),
             .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued"), .reply("221 bye")],
            pipelining: false)
        let next = Self.mail(["carol@example.com"])
        let first = try connection.send(Self.mail(), next: next)
        #expect(first.finalReply?.code == 451 && first.isOutcomeKnown && !first.isDelivered)
        #expect(connection.envelopeAhead == nil)
        #expect(try connection.send(next).isDelivered)
        try connection.quit()
        #expect(server.clientWrites == [
            "EHLO client.example.com\r\n", Self.mailFrom, Self.rcptBob, "DATA\r\n", Self.body,
            Self.mailFrom, Self.rcptCarol, "DATA\r\n", Self.body, "QUIT\r\n",
        ])
    }

    // MARK: - Refusals, one step at a time

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let pipelining: Bool
        let recipients: [String]
        let replies: [String]
        let writes: [String]
        let delivered: Bool
        let hookCalled: Bool
        var testDescription: String { "\(name)\(pipelining ? ", pipelined" : "")" }
    }

    static let mailFrom = "MAIL FROM:<alice@example.com>\r\n"
    static let rcptBob = "RCPT TO:<bob@example.com>\r\n"
    static let rcptCarol = "RCPT TO:<carol@example.com>\r\n"
    static let body = "Subject: hi\r\n\r\nhello\r\n.\r\n"

    static let refusals: [Refusal] = [
        Refusal(name: "MAIL refused", pipelining: false, recipients: ["bob@example.com"],
                replies: ["550 5.7.1 sender refused"], writes: [mailFrom], delivered: false, hookCalled: false),
        Refusal(name: "MAIL refused", pipelining: true, recipients: ["bob@example.com"],
                replies: ["550 5.7.1 sender refused", "503 5.5.1 MAIL first", "503 5.5.1 no valid recipients", "250 reset"],
                writes: [mailFrom + rcptBob + "DATA\r\n", "RSET\r\n"], delivered: false, hookCalled: false),
        Refusal(name: "one RCPT refused", pipelining: false, recipients: ["bob@example.com", "carol@example.com"],
                replies: ["250 ok", "550 5.1.1 no such user", "250 ok", "354 go", "250 queued"],
                writes: [mailFrom, rcptBob, rcptCarol, "DATA\r\n", body], delivered: true, hookCalled: true),
        Refusal(name: "one RCPT refused", pipelining: true, recipients: ["bob@example.com", "carol@example.com"],
                replies: ["250 ok", "550 5.1.1 no such user", "250 ok", "354 go", "250 queued"],
                writes: [mailFrom + rcptBob + rcptCarol + "DATA\r\n", body], delivered: true, hookCalled: true),
        Refusal(name: "every RCPT refused", pipelining: false, recipients: ["bob@example.com"],
                replies: ["250 ok", "550 5.1.1 no such user", "250 reset"],
                writes: [mailFrom, rcptBob, "RSET\r\n"], delivered: false, hookCalled: false),
        Refusal(name: "every RCPT refused", pipelining: true, recipients: ["bob@example.com"],
                replies: ["250 ok", "550 5.1.1 no such user", "554 5.5.1 no valid recipients", "250 reset"],
                writes: [mailFrom + rcptBob + "DATA\r\n", "RSET\r\n"], delivered: false, hookCalled: false),
        Refusal(name: "DATA refused", pipelining: false, recipients: ["bob@example.com"],
                replies: ["250 ok", "250 ok", "451 4.3.0 try later", "250 reset"],
                writes: [mailFrom, rcptBob, "DATA\r\n", "RSET\r\n"], delivered: false, hookCalled: false),
        Refusal(name: "DATA refused", pipelining: true, recipients: ["bob@example.com"],
                replies: ["250 ok", "250 ok", "451 4.3.0 try later", "250 reset"],
                writes: [mailFrom + rcptBob + "DATA\r\n", "RSET\r\n"], delivered: false, hookCalled: false),
        Refusal(name: "final dot refused", pipelining: false, recipients: ["bob@example.com"],
                replies: ["250 ok", "250 ok", "354 go", "554 5.7.1 spam"],
                writes: [mailFrom, rcptBob, "DATA\r\n", body], delivered: false, hookCalled: true),
        Refusal(name: "final dot refused", pipelining: true, recipients: ["bob@example.com"],
                replies: ["250 ok", "250 ok", "354 go", "554 5.7.1 spam"],
                writes: [mailFrom + rcptBob + "DATA\r\n", body], delivered: false, hookCalled: true),
    ]

    @Test("a refusal at each step is in the result, and the connection carries on", arguments: refusals)
    func refusal(_ refusal: Refusal) throws {
        let (connection, server) = try Self.connect(
            refusal.replies.map { .reply($0) } + [.reply("250 ok"), .reply("221 bye")], pipelining: refusal.pipelining)
        var hooks = 0
        let result = try connection.send(Self.mail(refusal.recipients)) { _ in
            hooks += 1
            return true
        }
        #expect(result.isDelivered == refusal.delivered)
        #expect(result.isOutcomeKnown && result.failure == nil && !result.isWithheld, "\(String(describing: result.failure))")
        #expect(hooks == (refusal.hookCalled ? 1 : 0))
        // The connection is back in a session: a NOOP goes alone.
        #expect(try connection.noop().code == 250)
        try connection.quit()
        #expect(server.clientWrites == ["EHLO client.example.com\r\n"] + refusal.writes + ["NOOP\r\n", "QUIT\r\n"])
    }

    // MARK: - The hook, drops, content sources

    @Test("DATA answered 354 although every recipient was refused: no message, the connection closed")
    func dataAcceptedWithoutRecipients() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("550 5.1.1 no such user"), .reply("354 go")], pipelining: true)
        var hooks = 0
        let result = try connection.send(Self.mail()) { _ in
            hooks += 1
            return true
        }
        #expect(hooks == 0 && result.isOutcomeKnown && !result.isDelivered && result.finalReply == nil)
        #expect(result.failure?.kindName == "malformedReply" && connection.isClosed)
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", Self.mailFrom + Self.rcptBob + "DATA\r\n"])
    }

    @Test("a hook that says no: the final dot is never sent and the connection is closed")
    func withheld() throws {
        let (connection, server) = try Self.connect([.reply("250 ok"), .reply("250 ok"), .reply("354 go")], pipelining: true)
        let result = try connection.send(Self.mail(), next: Self.mail(["carol@example.com"])) { _ in false }
        #expect(result.isWithheld && result.isOutcomeKnown && !result.isDelivered && result.finalReply == nil)
        #expect(connection.isClosed && connection.envelopeAhead == nil)
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", Self.mailFrom + Self.rcptBob + "DATA\r\n"])
        #expect(server.waitUntilDone())
    }

    @Test("a connection dropped behind the final dot: the outcome is unknown")
    func dropAfterDot() throws {
        let (connection, server) = try Self.connect([.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .drop], pipelining: true)
        var hooks = 0
        let result = try connection.send(Self.mail(), next: Self.mail(["carol@example.com"])) { _ in
            hooks += 1
            return true
        }
        #expect(hooks == 1)
        #expect(!result.isOutcomeKnown && result.finalReply == nil && !result.isDelivered)
        #expect(result.failure?.kindName == "connectionClosed")
        #expect(connection.isClosed && connection.envelopeAhead == nil)
        #expect(server.clientWrites.last == Self.body + Self.mailFrom + "RCPT TO:<carol@example.com>\r\nDATA\r\n")
    }

    @Test("a connection dropped before the final dot: nothing delivered, the outcome known")
    func dropBeforeDot() throws {
        let (connection, _) = try Self.connect([.reply("250 ok"), .drop], pipelining: true)
        var hooks = 0
        let result = try connection.send(Self.mail(["bob@example.com", "carol@example.com"])) { _ in
            hooks += 1
            return true
        }
        #expect(hooks == 0 && result.isOutcomeKnown && !result.isDelivered)
        #expect(result.mailReply.code == 250 && result.failure?.kindName == "connectionClosed")
        #expect(connection.isClosed)
    }

    @Test("no reply to MAIL at all is thrown: there is nothing to report")
    func dropBeforeMailReply() throws {
        let (connection, _) = try Self.connect([.drop], pipelining: true)
        #expect(throws: SMTPError.self) { try connection.send(Self.mail()) }
        #expect(connection.isClosed)
    }

    @Test("a streamed and a file content go out as the same bytes, a stream in writes of about 64 KiB")
    func streamAndFile() throws {
        // Lines that start with a dot at every chunk boundary, and 200 KiB in all.
        var text = ""
        while text.utf8.count < 200 * 1024 { text += ".line \(text.utf8.count)\n" }
        let bytes = Array(text.utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString).eml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let contents: [MessageContent] = [
            .bytes(bytes),
            .stream { write throws(SMTPError) in
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + 997, bytes.count)
                    try write(Array(bytes[offset..<end]))
                    offset = end
                }
            },
            .file(path),
        ]
        var sent: [String] = []
        for (index, content) in contents.enumerated() {
            let (connection, server) = try Self.connect(
                [.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued"), .reply("221 bye")], pipelining: true)
            let mail = MailTransaction(envelope: Envelope(sender: "alice@example.com", recipients: ["bob@example.com"]), content: content)
            #expect(try connection.send(mail).isDelivered)
            try connection.quit()
            let writes = server.clientWrites
            let message = writes.dropFirst(2).dropLast()
            if index > 0 {
                // 200 KiB (216 KiB dot-stuffed) in writes of 64 KiB and a little more, never whole.
                #expect(message.count >= 3 && message.allSatisfy { $0.utf8.count <= 80 * 1024 }, "\(message.map(\.utf8.count))")
            }
            sent.append(writes.dropFirst(2).dropLast().joined())
            #expect(server.waitUntilDone())
            #expect(server.received.count == 6)
        }
        let expected = text.replacingOccurrences(of: "\n.", with: "\n..").replacingOccurrences(of: "\n", with: "\r\n")
        #expect(sent == Array(repeating: "." + expected + ".\r\n", count: 3))
    }

    @Test("a content that fails half-way: no final dot, the connection closed, the failure reported")
    func streamFails() throws {
        let (connection, server) = try Self.connect([.reply("250 ok"), .reply("250 ok"), .reply("354 go")], pipelining: true)
        let mail = MailTransaction(
            envelope: Envelope(sender: "alice@example.com", recipients: ["bob@example.com"]),
            content: .stream { write throws(SMTPError) in
                try write(Array(repeating: UInt8(ascii: "a"), count: 70_000))
                throw SMTPError(.invalidArgument(field: "attachment", reason: "cannot read report.pdf"))
            })
        var hooks = 0
        let result = try connection.send(mail) { _ in
            hooks += 1
            return true
        }
        #expect(hooks == 0 && result.isOutcomeKnown && !result.isDelivered)
        #expect("\(result.failure.map { "\($0)" } ?? "")".contains("cannot read report.pdf"))
        #expect(connection.isClosed)
        #expect(!server.clientBytes.hasSuffix(".\r\n"))
    }

    @Test("a missing content file is refused before anything is written")
    func missingFile() throws {
        let (connection, server) = try Self.connect([.reply("221 bye")], pipelining: true)
        let mail = MailTransaction(
            envelope: Envelope(sender: "alice@example.com", recipients: ["bob@example.com"]), content: .file("/nonexistent/message.eml"))
        #expect {
            try connection.send(mail)
        } throws: { error in
            (error as? SMTPError)?.kindName == "invalidArgument" && "\(error)".contains("/nonexistent/message.eml")
        }
        try connection.quit()
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", "QUIT\r\n"])
    }

    @Test("a message other than the one whose envelope went ahead is refused, nothing written")
    func wrongNext() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("250 queued"), .reply("250 ok"), .reply("250 ok"),
             .reply("354 go"), .reply("250 queued"), .reply("221 bye")], pipelining: true)
        let second = Self.mail(["carol@example.com"])
        _ = try connection.send(Self.mail(), next: second)
        let writes = server.clientWrites.count
        #expect(throws: SMTPError.self) { try connection.send(Self.mail(["dave@example.com"])) }
        #expect(server.clientWrites.count == writes)
        #expect(try connection.send(second).isDelivered)
        try connection.quit()
    }

    @Test("an envelope that cannot be written is refused before anything goes out")
    func badAddress() throws {
        let (connection, server) = try Self.connect([.reply("221 bye")], pipelining: true)
        #expect(throws: SMTPError.self) { try connection.send(Self.mail(["bob@example.com\r\nRSET"])) }
        #expect(throws: SMTPError.self) { try connection.send(Self.mail([])) }
        try connection.quit()
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", "QUIT\r\n"])
    }

    @Test("a transaction outside a session is refused as local misuse and the connection stays open")
    func outsideSession() throws {
        let server = ScriptedServer([.reply("220 mx.example.com"), .reply("250 ok"), .reply("221 bye")])
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10)
        #expect {
            try connection.send(Self.mail())
        } throws: { error in
            (error as? SMTPError)?.kindName == "invalidOperation" && "\(error)".contains("mail before helo or ehlo")
        }
        #expect(!connection.isClosed)
        try connection.helo("client.example.com")
        try connection.quit()
        #expect(server.clientWrites == ["HELO client.example.com\r\n", "QUIT\r\n"])
    }
}
