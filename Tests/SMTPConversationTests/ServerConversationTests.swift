import SMTPConversation
import Testing

/// The server's state machine alone: bytes in, bytes out, no sockets.
@Suite("Server conversation state machine")
struct ServerConversationTests {
    /// A host with no I/O: it feeds bytes, answers events with `decide`, and keeps what the
    /// machine wrote and what it asked.
    struct Host {
        var server: ServerConversation
        var events: [ServerEvent] = []
        var decide: (ServerEvent) -> Reply?

        init(_ configuration: ServerConfiguration = .init(hostname: "relay.test", authRequiresTLS: false),
             isTLS: Bool = false, decide: @escaping (ServerEvent) -> Reply? = { _ in nil }) {
            server = ServerConversation(configuration: configuration, isTLS: isTLS, challenge: "<1.2@relay.test>")
            self.decide = decide
            _ = server.takeOutput()
        }

        /// Feeds `text` and returns everything the server wrote back.
        mutating func send(_ text: String) throws -> String {
            try send(Array(text.utf8))
        }

        mutating func send(_ bytes: [UInt8]) throws -> String {
            server.receive(bytes)
            while let event = try server.nextEvent() {
                events.append(event)
                switch event {
                case .startTLS, .close: break
                default:
                    if let refusal = decide(event), refusal.isFailure {
                        try server.refuse(refusal)
                    } else {
                        try server.accept(decide(event))
                    }
                }
            }
            return String(decoding: server.takeOutput(), as: UTF8.self)
        }

        var messages: [ReceivedMessage] {
            events.compactMap { if case .message(let message) = $0 { return message }; return nil }
        }

        /// EHLO then AUTH PLAIN as alice.
        mutating func login() throws {
            _ = try send("EHLO client.test\r\n")
            #expect(try send("AUTH PLAIN \(Base64.encode("\0alice\0secret"))\r\n") == "235 2.7.0 Authentication successful\r\n")
        }
    }

    static let plainConfiguration = ServerConfiguration(hostname: "relay.test", authRequiresTLS: false)

    @Test("the greeting and EHLO advertise the extensions; AUTH only where allowed")
    func greetingAndEhlo() throws {
        var server = ServerConversation(configuration: .init(hostname: "relay.test", startTLSAvailable: true))
        #expect(String(decoding: server.takeOutput(), as: UTF8.self) == "220 relay.test ESMTP ready\r\n")
        server.receive(Array("EHLO client.test\r\n".utf8))
        #expect(try server.nextEvent() == nil)
        #expect(String(decoding: server.takeOutput(), as: UTF8.self) == """
            250-relay.test Hello client.test\r
            250-PIPELINING\r
            250-SIZE 36700160\r
            250-8BITMIME\r
            250-SMTPUTF8\r
            250-ENHANCEDSTATUSCODES\r
            250-STARTTLS\r
            250 HELP\r

            """)
        var host = Host()
        #expect(try host.send("EHLO c\r\n").contains("250-AUTH PLAIN LOGIN\r\n"))
        #expect(try host.send("HELO c\r\n") == "250 relay.test\r\n")
    }

    @Test("a whole transaction: exact replies, the message dot-unstuffed, the envelope apart")
    func transaction() throws {
        var host = Host()
        try host.login()
        let out = try host.send("""
            MAIL FROM:<alice@example.com> SIZE=40 BODY=8BITMIME\r
            RCPT TO:<bob@example.com>\r
            RCPT TO:<carol@example.com>\r
            DATA\r
            Subject: hi\r
            \r
            ..leading dot\r
            .\r
            QUIT\r

            """)
        #expect(out == """
            250 2.1.0 Sender OK\r
            250 2.1.5 Recipient OK\r
            250 2.1.5 Recipient OK\r
            354 End data with <CR><LF>.<CR><LF>\r
            250 2.0.0 OK\r
            221 2.0.0 relay.test closing connection\r

            """)
        let message = try #require(host.messages.first)
        #expect(message.mailFrom == MailFromRequest(reversePath: "alice@example.com", declaredSize: 40, eightBitMIME: true))
        #expect(message.recipients == ["bob@example.com", "carol@example.com"])
        #expect(message.data == Array("Subject: hi\r\n\r\n.leading dot\r\n".utf8))
        #expect(message.authenticatedUser == "alice")
        #expect(host.events.last == .close)
        #expect(host.server.phase == .closed)
    }

    @Test("the final dot is answered with the host's reply, only once the host decided")
    func finalDotWaitsForTheHost() throws {
        var server = ServerConversation(configuration: Self.plainConfiguration)
        _ = server.takeOutput()
        server.receive(Array("EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n".utf8))
        guard case .authenticate(let attempt)? = try server.nextEvent() else { Issue.record("no AUTH event"); return }
        #expect(attempt.username == "alice" && attempt.verify(password: "secret") && !attempt.verify(password: "x"))
        #expect(!String(describing: attempt).contains("secret"))
        try server.accept()
        server.receive(Array("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nhello\r\n.\r\nNOOP\r\n".utf8))
        #expect(try server.nextEvent() == .mailFrom(MailFromRequest(reversePath: "a@x")))
        #expect(throws: SMTPError.self) { try server.nextEvent() }
        try server.accept()
        #expect(try server.nextEvent() == .recipient("b@y"))
        try server.accept()
        guard case .message = try server.nextEvent() else { Issue.record("no message"); return }
        let before = String(decoding: server.takeOutput(), as: UTF8.self)
        #expect(before.hasSuffix("354 End data with <CR><LF>.<CR><LF>\r\n"))
        try server.accept(Reply(250, "2.0.0 queued as mq.123"))
        #expect(try server.nextEvent() == nil)
        #expect(String(decoding: server.takeOutput(), as: UTF8.self) == "250 2.0.0 queued as mq.123\r\n250 2.0.0 OK\r\n")
    }

    @Test("a refused message (the store failed) is answered with the host's 451 and the session goes on")
    func refusedMessage() throws {
        var host = Host { event in
            if case .message = event { return Reply(451, "4.3.0 Temporary failure: not stored") }
            return nil
        }
        try host.login()
        let out = try host.send("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nx\r\n.\r\nMAIL FROM:<a@x>\r\n")
        #expect(out.hasSuffix("354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Temporary failure: not stored\r\n250 2.1.0 Sender OK\r\n"))
    }

    @Test("MAIL before AUTH is 530; a sender the host refuses keeps the session in place")
    func authRequired() throws {
        var host = Host { event in
            if case .mailFrom(let request) = event, request.reversePath != "alice@example.com" {
                return Reply(550, "5.7.1 Sender not allowed")
            }
            return nil
        }
        _ = try host.send("EHLO c\r\n")
        #expect(try host.send("MAIL FROM:<alice@example.com>\r\n") == "530 5.7.0 Authentication required\r\n")
        #expect(try host.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n") == "235 2.7.0 Authentication successful\r\n")
        #expect(try host.send("MAIL FROM:<mallory@example.com>\r\n") == "550 5.7.1 Sender not allowed\r\n")
        #expect(try host.send("RCPT TO:<b@y>\r\n") == "503 5.5.1 Need MAIL command\r\n")
        #expect(try host.send("MAIL FROM:<alice@example.com>\r\n") == "250 2.1.0 Sender OK\r\n")
        #expect(try host.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n") == "503 5.5.1 AUTH is not allowed inside a mail transaction\r\n")
    }

    @Test("AUTH LOGIN and CRAM-MD5 exchanges; secrets are redacted in the transcript")
    func authMechanisms() throws {
        let configuration = ServerConfiguration(
            hostname: "relay.test", authMechanisms: ["PLAIN", "LOGIN", "CRAM-MD5"], authRequiresTLS: false)
        var attempts: [SASLServerAttempt] = []
        var host = Host(configuration) { event in
            if case .authenticate(let attempt) = event {
                attempts.append(attempt)
                return attempt.verify(password: "tanstaaftanstaaf") ? nil : Reply(535, "5.7.8 Authentication credentials invalid")
            }
            return nil
        }
        _ = try host.send("EHLO c\r\n")
        #expect(try host.send("AUTH LOGIN\r\n") == "334 VXNlcm5hbWU6\r\n")
        #expect(try host.send("dGlt\r\n") == "334 UGFzc3dvcmQ6\r\n")
        #expect(try host.send("d3Jvbmc=\r\n") == "535 5.7.8 Authentication credentials invalid\r\n")
        // RFC 2195's own example: challenge <1896.697170952@postoffice.reston.mci.net>.
        var rfc = Host(configuration) { event in
            if case .authenticate(let attempt) = event {
                return attempt.verify(password: "tanstaaftanstaaf") ? nil : Reply(535, "5.7.8 no")
            }
            return nil
        }
        rfc.server = ServerConversation(
            configuration: configuration, challenge: "<1896.697170952@postoffice.reston.mci.net>", recording: true)
        _ = rfc.server.takeOutput()
        _ = try rfc.send("EHLO c\r\n")
        #expect(try rfc.send("AUTH CRAM-MD5\r\n") == "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
        #expect(try rfc.send("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n") == "235 2.7.0 Authentication successful\r\n")
        #expect(rfc.server.authenticatedUser == "tim")
        _ = try rfc.send("AUTH PLAIN c2VjcmV0\r\n")
        let transcript = rfc.server.takeTranscript()
        #expect(transcript.contains(.client("{secret}")))
        #expect(transcript.contains(.client("AUTH PLAIN {secret}")))
        #expect(!transcript.contains(.client("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw")))
        #expect(attempts.map(\.username) == ["tim"])
    }

    @Test("AUTH cancelled with *, undecodable, unknown mechanism, and too many failures")
    func authRefusals() throws {
        var host = Host { event in
            if case .authenticate = event { return Reply(535, "5.7.8 Authentication credentials invalid") }
            return nil
        }
        _ = try host.send("EHLO c\r\n")
        #expect(try host.send("AUTH LOGIN\r\n*\r\n") == "334 VXNlcm5hbWU6\r\n501 5.7.0 Authentication cancelled\r\n")
        #expect(try host.send("AUTH PLAIN !!!\r\n") == "501 5.5.2 Cannot decode the AUTH response (base64)\r\n")
        #expect(try host.send("AUTH GSSAPI\r\n") == "504 5.5.4 Unrecognized authentication type\r\n")
        #expect(try host.send("AUTH PLAIN AGEAYg==\r\n") == "535 5.7.8 Authentication credentials invalid\r\n")
        #expect(try host.send("AUTH PLAIN AGEAYg==\r\n") == "535 5.7.8 Authentication credentials invalid\r\n")
        #expect(try host.send("AUTH PLAIN AGEAYg==\r\n") == "535 5.7.8 Authentication credentials invalid\r\n421 4.7.0 relay.test Too many failed authentication attempts\r\n")
        #expect(host.events.last == .close)
        #expect(try host.send("NOOP\r\n") == "")
    }

    @Test("without TLS AUTH is neither offered nor accepted when it requires TLS (538)")
    func authNeedsTLS() throws {
        var host = Host(.init(hostname: "relay.test", startTLSAvailable: true))
        #expect(!(try host.send("EHLO c\r\n").contains("AUTH")))
        #expect(try host.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n") == "538 5.7.11 Encryption required for requested authentication mechanism\r\n")
        #expect(try host.send("MAIL FROM:<a@x>\r\n") == "530 5.7.0 Authentication required\r\n")
    }

    @Test("STARTTLS: plaintext pipelined behind it is discarded; EHLO and AUTH are forgotten")
    func startTLS() throws {
        var host = Host(.init(hostname: "relay.test", startTLSAvailable: true))
        _ = try host.send("EHLO c\r\n")
        let out = try host.send("STARTTLS\r\nRSET\r\nMAIL FROM:<mallory@x>\r\n")
        #expect(out == "220 2.0.0 Ready to start TLS\r\n")
        #expect(host.events.last == .startTLS(discardedBytes: 29))
        #expect(host.server.phase == .tlsHandshake)
        // Nothing is taken until the handshake is done.
        #expect(try host.send("NOOP\r\n") == "")
        try host.server.tlsEstablished()
        #expect(try host.send("MAIL FROM:<a@x>\r\n") == "503 5.5.1 Send EHLO or HELO first\r\n")
        let ehlo = try host.send("EHLO c\r\n")
        #expect(ehlo.contains("250-AUTH PLAIN LOGIN\r\n") && !ehlo.contains("STARTTLS"))
        #expect(try host.send("STARTTLS\r\n") == "503 5.5.1 TLS already active\r\n")
        #expect(throws: SMTPError.self) { try host.server.tlsEstablished() }
    }

    @Test("implicit TLS offers AUTH at once and no STARTTLS")
    func implicitTLS() throws {
        var host = Host(.init(hostname: "relay.test", startTLSAvailable: true), isTLS: true)
        let ehlo = try host.send("EHLO c\r\n")
        #expect(ehlo.contains("AUTH PLAIN LOGIN") && !ehlo.contains("STARTTLS"))
    }

    @Test("SIZE over the limit is 552 5.3.4 at MAIL; a body over it is 552 at the dot and nothing is handed over")
    func sizeLimit() throws {
        var host = Host(.init(hostname: "relay.test", maxMessageSize: 100, authRequiresTLS: false))
        try host.login()
        #expect(try host.send("MAIL FROM:<a@x> SIZE=101\r\n") == "552 5.3.4 Message size exceeds fixed maximum message size (100 octets)\r\n")
        let body = String(repeating: "0123456789\r\n", count: 9)
        let out = try host.send("MAIL FROM:<a@x> SIZE=100\r\nRCPT TO:<b@y>\r\nDATA\r\n\(body).\r\n")
        #expect(out.hasSuffix("354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Message size exceeds fixed maximum message size (100 octets)\r\n"))
        #expect(host.messages.isEmpty)
    }

    @Test("recipients beyond the limit are 452 4.5.3; the accepted ones stay")
    func recipientLimit() throws {
        var host = Host(.init(hostname: "relay.test", maxRecipients: 2, authRequiresTLS: false))
        try host.login()
        let out = try host.send("MAIL FROM:<a@x>\r\nRCPT TO:<1@y>\r\nRCPT TO:<2@y>\r\nRCPT TO:<3@y>\r\nDATA\r\nx\r\n.\r\n")
        #expect(out.contains("250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n452 4.5.3 Too many recipients (the limit is 2)\r\n354"))
        #expect(host.messages.first?.recipients == ["1@y", "2@y"])
    }

    @Test("an overlong command line is 500 5.5.2, skipped whole, bounded in memory")
    func overlongCommand() throws {
        var host = Host(.init(hostname: "relay.test", maxCommandLineLength: 64, authRequiresTLS: false))
        let long = String(repeating: "A", count: 200)
        #expect(try host.send("NOOP \(long)") == "500 5.5.2 Line too long (the limit is 64 octets)\r\n")
        #expect(host.server.bufferedByteCount == 0)
        #expect(try host.send("\(long)\r\nNOOP\r\n") == "250 2.0.0 OK\r\n")
        #expect(try host.send("NOOP \(String(repeating: "B", count: 60))\r\n") == "500 5.5.2 Line too long (the limit is 64 octets)\r\n")
    }

    @Test("bare LF, bare CR and NUL in DATA refuse the message (554 5.6.0); a bare-LF dot does not end the data")
    func smuggling() throws {
        for (body, reply) in [
            ("a\nb\r\n", "554 5.6.0 Message refused: bare LF (not after CR) in line 1; lines must end with CRLF"),
            ("a\rb\r\n", "554 5.6.0 Message refused: bare CR (not before LF) in line 1"),
            ("ok\r\na\0b\r\n", "554 5.6.0 Message refused: NUL in line 2"),
            ("x\r\n\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\nDATA\r\nsmuggled\r\n", "554 5.6.0 Message refused: bare LF (not after CR) in line 2; lines must end with CRLF"),
            ("x\r\n.\nMAIL FROM:<evil@x>\r\n", "554 5.6.0 Message refused: bare LF (not after CR) in line 2; lines must end with CRLF"),
        ] {
            var host = Host()
            try host.login()
            let out = try host.send("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n\(body).\r\nNOOP\r\n")
            #expect(out.hasSuffix("354 End data with <CR><LF>.<CR><LF>\r\n\(reply)\r\n250 2.0.0 OK\r\n"), "\(body.debugDescription)")
            #expect(host.messages.isEmpty)
            #expect(!host.events.contains(.mailFrom(MailFromRequest(reversePath: "evil@x"))))
        }
    }

    @Test("an overlong message line refuses the message with 500 5.5.2 and is never buffered whole")
    func overlongDataLine() throws {
        var host = Host(.init(hostname: "relay.test", maxDataLineLength: 50, authRequiresTLS: false))
        try host.login()
        _ = try host.send("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n")
        _ = try host.send(String(repeating: "x", count: 300))
        #expect(host.server.bufferedByteCount == 0)
        let out = try host.send("\r\n.\r\n")
        #expect(out == "500 5.5.2 Line too long: line 1 of the message is longer than 50 octets\r\n")
        #expect(host.messages.isEmpty)
    }

    @Test("SMTPUTF8: non-ASCII addresses need it (553 5.6.7); with it they pass through")
    func smtpUTF8() throws {
        var host = Host()
        try host.login()
        #expect(try host.send("MAIL FROM:<jörg@例え.jp>\r\n") == "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n")
        #expect(try host.send("MAIL FROM:<jörg@例え.jp> SMTPUTF8\r\n") == "250 2.1.0 Sender OK\r\n")
        #expect(try host.send("RCPT TO:<山田@例え.jp>\r\n") == "250 2.1.5 Recipient OK\r\n")
        #expect(host.events.contains(.recipient("山田@例え.jp")))
    }

    @Test("parameters, syntax and sequence errors have their codes")
    func syntaxAndSequence() throws {
        var host = Host()
        #expect(try host.send("MAIL FROM:<a@x>\r\n") == "503 5.5.1 Send EHLO or HELO first\r\n")
        #expect(try host.send("EHLO\r\n") == "501 5.5.4 Syntax: EHLO hostname\r\n")
        try host.login()
        #expect(try host.send("MAIL FROM:<a@x> RET=FULL\r\n") == "555 5.5.4 MAIL parameter RET not supported\r\n")
        #expect(try host.send("MAIL FROM:<a@x> BODY=BINARYMIME\r\n") == "555 5.5.4 MAIL parameter BODY not supported\r\n")
        #expect(try host.send("MAIL TO:<a@x>\r\n") == "501 5.5.4 Syntax: MAIL FROM:<address>\r\n")
        #expect(try host.send("DATA\r\n") == "503 5.5.1 Need MAIL command\r\n")
        #expect(try host.send("MAIL FROM:<>\r\n") == "250 2.1.0 Sender OK\r\n")
        #expect(try host.send("MAIL FROM:<a@x>\r\n") == "503 5.5.1 Nested MAIL command\r\n")
        #expect(try host.send("DATA\r\n") == "554 5.5.1 No valid recipients\r\n")
        #expect(try host.send("RCPT TO:<>\r\n") == "501 5.1.3 Bad recipient address syntax\r\n")
        #expect(try host.send("RCPT TO:<\"odd >name\"@y>\r\n") == "250 2.1.5 Recipient OK\r\n")
        #expect(try host.send("RSET\r\n") == "250 2.0.0 OK\r\n")
        #expect(try host.send("VRFY bob\r\n") == "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n")
        #expect(try host.send("HELP\r\n").hasPrefix("214 2.0.0 Commands:"))
        #expect(try host.send("BDAT 10 LAST\r\n") == "500 5.5.2 Command not recognized\r\n")
        #expect(try host.send("NOOP\0\r\n") == "500 5.5.2 NUL in command line\r\n")
    }

    @Test("too many errors end the session with 421 4.7.0")
    func tooManyErrors() throws {
        var host = Host(.init(hostname: "relay.test", maxErrors: 3, authRequiresTLS: false))
        let out = try host.send("X\r\nY\r\nZ\r\nNOOP\r\n")
        #expect(out == "500 5.5.2 Command not recognized\r\n500 5.5.2 Command not recognized\r\n500 5.5.2 Command not recognized\r\n421 4.7.0 relay.test Too many errors\r\n")
        #expect(host.events == [.close])
    }

    @Test("a timeout is 421 4.4.2; a connection lost mid-DATA hands nothing over")
    func timeoutAndDrop() throws {
        var host = Host()
        try host.login()
        _ = try host.send("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\npart of a message\r\n")
        #expect(host.server.isReceivingData)
        host.server.connectionLost()
        #expect(try host.send(".\r\n") == "")
        #expect(host.messages.isEmpty)
        var idle = Host()
        idle.server.timeOut()
        #expect(String(decoding: idle.server.takeOutput(), as: UTF8.self) == "421 4.4.2 relay.test Error: timeout exceeded\r\n")
        #expect(idle.server.phase == .closed)
    }

    @Test("commands split across reads at any byte give the same replies")
    func splitAnywhere() throws {
        let script = "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n.a\r\n\r\n.\r\nQUIT\r\n"
        var whole = Host()
        let expected = try whole.send(script)
        var split = Host()
        var out = ""
        for byte in Array(script.utf8) { out += try split.send([byte]) }
        #expect(out == expected)
        #expect(split.messages == whole.messages)
        #expect(split.messages.first?.data == Array("a\r\n\r\n".utf8))
    }
}
