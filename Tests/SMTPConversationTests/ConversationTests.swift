import SMTPConversation
import Testing

/// The state machine alone: bytes in, bytes out, no sockets.
@Suite("Conversation state machine")
struct ConversationTests {
    func expectInvalid(_ conversation: inout Conversation, _ command: Command, mentioning text: String) {
        #expect {
            _ = try conversation.send(command)
        } throws: { error in
            guard let error = error as? SMTPError, error.code == .invalidOperation, let message = error.message else { return false }
            return message.contains(text)
        }
    }

    @Test("mail before helo or ehlo is an invalid operation")
    func mailBeforeEhlo() throws {
        var conversation = try Conversation.greeted()
        expectInvalid(&conversation, .mail(from: "a@example.com", parameters: []), mentioning: "before helo or ehlo")
    }

    @Test("rcpt before mail, data before rcpt")
    func ordering() throws {
        var conversation = try Conversation.greeted(ehlo: [])
        expectInvalid(&conversation, .rcpt(to: "b@example.com", parameters: []), mentioning: "rcpt before mail")
        expectInvalid(&conversation, .data, mentioning: "data before")
        _ = try conversation.send(.mail(from: "a@example.com", parameters: []))
        conversation.receive(Array("250 ok\r\n".utf8))
        _ = try conversation.nextReply()
        expectInvalid(&conversation, .data, mentioning: "data before rcpt")
    }

    @Test("after open_data only body data and close_data are allowed")
    func dataMode() throws {
        var conversation = try Conversation.greeted(ehlo: [])
        for (command, reply) in [(Command.mail(from: "a@x", parameters: []), "250 ok"), (.rcpt(to: "b@x", parameters: []), "250 ok"), (.data, "354 go")] {
            _ = try conversation.send(command)
            conversation.receive(Array((reply + "\r\n").utf8))
            _ = try conversation.nextReply()
        }
        #expect(conversation.phase == .data)
        for command in [Command.quit, .rset, .noop, .mail(from: "x@y", parameters: []), .raw("HELP")] {
            expectInvalid(&conversation, command, mentioning: "only write_data, write_raw_data and close_data")
        }
        #expect(try conversation.body(Array("hi\n".utf8)) == Array("hi\r\n".utf8))
        #expect(try conversation.endOfData() == Array(".\r\n".utf8))
        conversation.receive(Array("250 queued\r\n".utf8))
        _ = try conversation.nextReply()
        #expect(conversation.phase == .session)
    }

    @Test("rset cancels a transaction; quit closes")
    func rsetAndQuit() throws {
        var conversation = try Conversation.greeted(ehlo: [])
        _ = try conversation.send(.mail(from: "a@x", parameters: []))
        conversation.receive(Array("250 ok\r\n".utf8))
        _ = try conversation.nextReply()
        #expect(conversation.phase == .mailTransaction)
        _ = try conversation.send(.rset)
        conversation.receive(Array("250 flushed\r\n".utf8))
        _ = try conversation.nextReply()
        #expect(conversation.phase == .session)
        _ = try conversation.send(.quit)
        conversation.receive(Array("221 bye\r\n".utf8))
        _ = try conversation.nextReply()
        #expect(conversation.phase == .closed)
        expectInvalid(&conversation, .noop, mentioning: "closed")
    }

    @Test("a 421 to any command closes the conversation")
    func shutdown421() throws {
        var conversation = try Conversation.greeted(ehlo: [])
        _ = try conversation.send(.noop)
        conversation.receive(Array("421 4.3.2 shutting down\r\n".utf8))
        #expect(try conversation.nextReply()?.code == 421)
        #expect(conversation.phase == .closed)
    }

    @Test("STARTTLS forgets the capabilities and requires EHLO again")
    func startTLSResets() throws {
        var conversation = try Conversation.greeted(ehlo: ["STARTTLS", "AUTH PLAIN"])
        #expect(conversation.capabilities?.authMechanisms == ["PLAIN"])
        _ = try conversation.send(.startTLS)
        conversation.receive(Array("220 go\r\n".utf8))
        _ = try conversation.nextReply()
        #expect(conversation.phase == .tlsHandshake)
        #expect(conversation.capabilities == nil)
        expectInvalid(&conversation, .ehlo("client"), mentioning: "handshake")
        try conversation.tlsEstablished()
        #expect(conversation.isTLS)
        expectInvalid(&conversation, .mail(from: "a@x", parameters: []), mentioning: "before helo or ehlo")
        expectInvalid(&conversation, .auth(mechanism: "PLAIN", initialResponse: "x"), mentioning: "before helo or ehlo")
        expectInvalid(&conversation, .startTLS, mentioning: "already active")
    }

    @Test("bytes after the 220 to STARTTLS are refused as an injection")
    func injectionAfterStartTLS() throws {
        var conversation = try Conversation.greeted(ehlo: ["STARTTLS"])
        _ = try conversation.send(.startTLS)
        conversation.receive(Array("220 go\r\n250 AUTH PLAIN\r\n".utf8))
        #expect {
            _ = try conversation.nextReply()
        } throws: { error in
            (error as? SMTPError)?.kindName == "malformedReply" && "\(error)".contains("CVE-2011-0411")
        }
        #expect(conversation.phase == .closed)
    }

    @Test("unsolicited bytes before a command are a protocol error; a 421 is reported as such")
    func unsolicited() throws {
        var conversation = try Conversation.greeted(ehlo: [])
        conversation.receive(Array("250 surprise\r\n".utf8))
        #expect(throws: SMTPError.self) { _ = try conversation.send(.noop) }
        var other = try Conversation.greeted(ehlo: [])
        other.receive(Array("421 4.4.2 timeout\r\n".utf8))
        #expect {
            _ = try other.send(.noop)
        } throws: { error in
            (error as? SMTPError)?.reply?.code == 421 && (error as? SMTPError)?.isTransient == true
        }
    }

    @Test("pipelining: MAIL, RCPT and DATA may go out together only when advertised")
    func pipelining() throws {
        var without = try Conversation.greeted(ehlo: [])
        _ = try without.send(.mail(from: "a@x", parameters: []))
        expectInvalid(&without, .rcpt(to: "b@x", parameters: []), mentioning: "still outstanding")

        var with = try Conversation.greeted(ehlo: ["PIPELINING"])
        var bytes: [UInt8] = []
        bytes += try with.send(.mail(from: "a@x", parameters: []))
        bytes += try with.send(.rcpt(to: "b@x", parameters: []))
        bytes += try with.send(.rcpt(to: "c@x", parameters: []))
        bytes += try with.send(.data)
        #expect(String(decoding: bytes, as: UTF8.self) == "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n")
        with.receive(Array("250 ok\r\n550 no such user\r\n250 ok\r\n354 go\r\n".utf8))
        var codes: [Int] = []
        while let reply = try with.nextReply() { codes.append(reply.code) }
        #expect(codes == [250, 550, 250, 354])
        #expect(with.phase == .data)
        #expect(with.acceptedRecipients == 1)
    }

    @Test("a refused MAIL in a pipelined group leaves the session usable")
    func pipelinedFailure() throws {
        var conversation = try Conversation.greeted(ehlo: ["PIPELINING"])
        _ = try conversation.send(.mail(from: "a@x", parameters: []))
        _ = try conversation.send(.rcpt(to: "b@x", parameters: []))
        _ = try conversation.send(.data)
        conversation.receive(Array("550 sender refused\r\n503 need MAIL\r\n503 need RCPT\r\n".utf8))
        while try conversation.nextReply() != nil {}
        #expect(conversation.phase == .session)
        _ = try conversation.send(.mail(from: "other@x", parameters: []))
    }

    @Test("auth answers only a 334; not twice; not inside a transaction")
    func authRules() throws {
        var conversation = try Conversation.greeted(ehlo: ["AUTH LOGIN"], allowsCleartextAuth: true)
        expectInvalid(&conversation, .authResponse("eA=="), mentioning: "no AUTH challenge")
        _ = try conversation.send(.auth(mechanism: "LOGIN", initialResponse: nil))
        conversation.receive(Array("334 VXNlcm5hbWU6\r\n".utf8))
        _ = try conversation.nextReply()
        expectInvalid(&conversation, .mail(from: "a@x", parameters: []), mentioning: "334")
        _ = try conversation.send(.authResponse("dXNlcg=="))
        conversation.receive(Array("235 ok\r\n".utf8))
        _ = try conversation.nextReply()
        #expect(conversation.isAuthenticated)
        expectInvalid(&conversation, .auth(mechanism: "LOGIN", initialResponse: nil), mentioning: "already authenticated")
    }
}
