import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// The API over real sockets against the transcript server: timeouts, ACL, AUTH policy,
/// procedure and function forms, recording.
@Suite("Connection")
struct ConnectionTests {
    static let authTranscript = """
        220 mail.example.test ESMTP
        > EHLO client.example.com
        250-mail.example.test
        250-AUTH PLAIN LOGIN CRAM-MD5
        250 STARTTLS
        """

    @Test("a server that sends nothing: timeout after tx_timeout, naming host, port and step")
    func timeout() throws {
        let server = try serve(try Transcript(parsing: "@hang\n"), mode: .meaning)
        defer { server.stop() }
        let start = Date()
        #expect {
            _ = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 0.3)
        } throws: { error in
            guard let error = error as? SMTPError, error.code == .timeout else { return false }
            return error.description.hasPrefix("127.0.0.1:\(server.port) open_connection: timeout") && error.isTransient
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test("tx_timeout 0 does not wait; readReply waits for the outstanding reply")
    func zeroTimeout() throws {
        // Over an in-memory stream whose server holds its reply to NOOP until the gate opens:
        // the read with tx_timeout 0 can never find it (over a socket it sometimes did).
        let gate = DispatchSemaphore(value: 0)
        let server = ScriptedServer([.reply("220 hi"), .held(gate, "250 ok"), .reply("221 bye")])
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10)
        connection.txTimeout = 0
        let start = Date()
        #expect {
            try connection.noop()
        } throws: { error in
            (error as? SMTPError)?.kindName == "timeout" && "\(error)".contains("noop: timeout")
        }
        #expect(Date().timeIntervalSince(start) < 1)
        gate.signal()
        connection.txTimeout = 10
        #expect(try connection.readReply().code == 250)
        try connection.quit()
        #expect(server.clientWrites == ["NOOP\r\n", "QUIT\r\n"])
    }

    @Test("a refused port is a network error that names host:port and says network error once")
    func refused() throws {
        let listener = try TranscriptServer(transcript: Transcript(parsing: "220 x\n"))
        let port = listener.port
        listener.stop()
        #expect {
            _ = try SMTPConnection.openConnection(host: "127.0.0.1", port: port, txTimeout: 5)
        } throws: { error in
            // Said once: the host and port, the step, the kind, the system's reason.
            (error as? SMTPError)?.kindName == "network"
                && "\(error)" == "127.0.0.1:\(port) open_connection: network error: cannot connect: Connection refused"
        }
    }

    @Test("an unknown host is a network error naming it")
    func unknownHost() {
        #expect {
            _ = try SMTPConnection.openConnection(host: "no-such-host.invalid", port: 25, txTimeout: 5)
        } throws: { error in
            (error as? SMTPError)?.kindName == "network" && "\(error)".contains("no-such-host.invalid")
        }
    }

    @Test("the ACL is checked before anything is resolved or connected")
    func acl() throws {
        let acl = NetworkACL([try .init(parsing: "smtp.office365.com:587"), try .init(parsing: "*.example.test:25-25")])
        #expect(throws: Never.self) { try acl.check(host: "SMTP.office365.com.", port: 587) }
        #expect(throws: Never.self) { try acl.check(host: "mx.example.test", port: 25) }
        #expect(throws: SMTPError.self) { try acl.check(host: "example.test", port: 25) }
        #expect(throws: SMTPError.self) { try acl.check(host: "smtp.office365.com", port: 25) }
        // A name that would not even resolve is refused by the ACL first, not by DNS.
        #expect {
            _ = try SMTPConnection.openConnection(
                host: "denied.invalid", port: 25, options: SMTPConnection.Options(acl: acl))
        } throws: { error in
            (error as? SMTPError)?.kindName == "accessDenied" && "\(error)".contains("denied.invalid port 25")
        }
        #expect(throws: SMTPError.self) { _ = try NetworkACL.Entry(parsing: "host:99999") }
        #expect(throws: SMTPError.self) { _ = try NetworkACL.Entry(parsing: ":25") }
    }

    @Test("cleartext AUTH is refused without TLS unless the caller opts in; CRAM-MD5 is not cleartext")
    func cleartextAuth() throws {
        let server = try serve(try Transcript(parsing: Self.authTranscript), mode: .meaning)
        defer { server.stop() }
        let log = EventLog()
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 10, options: SMTPConnection.Options(observer: log.observer))
        try connection.ehlo("client.example.com")
        for schemes in [["PLAIN"], ["LOGIN"], ["XOAUTH2", "PLAIN"]] {
            #expect {
                try connection.auth(username: "u", password: "p", schemes: schemes)
            } throws: { error in
                guard let error = error as? SMTPError, error.code == .cleartextAuthRefused, let message = error.message else { return false }
                return message.contains("STARTTLS") && message.contains("allowCleartextAuth")
            }
        }
        // Nothing was sent for the refused attempts.
        #expect(!log.sentLines.contains { $0.hasPrefix("AUTH") })
        #expect(try connection.selectScheme(SMTPConnection.nonCleartextPasswordSchemes) == "CRAM-MD5")
    }

    @Test("scheme selection follows the caller's order among what the server offers")
    func schemeSelection() throws {
        let server = try serve(try Transcript(parsing: Self.authTranscript), mode: .meaning)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        // With no EHLO yet: the first in the list.
        #expect(try connection.selectScheme(["XOAUTH2", "LOGIN"]) == "XOAUTH2")
        try connection.ehlo("client.example.com")
        #expect(try connection.selectScheme(["XOAUTH2", "LOGIN", "PLAIN"]) == "LOGIN")
        #expect(try connection.selectScheme(["login xoauth2"]) == "LOGIN")
        #expect { _ = try connection.selectScheme(["XOAUTH2"]) } throws: {
            ($0 as? SMTPError)?.kindName == "noSupportedScheme" && "\($0)".contains("PLAIN LOGIN CRAM-MD5")
        }
        #expect { _ = try connection.selectScheme(["NTLM"]) } throws: { ($0 as? SMTPError)?.kindName == "unsupportedScheme" }
    }

    @Test("procedure form raises 5xx with the reply; function form returns it")
    func forms() throws {
        let transcript = try TestEnvironment.transcript("multi-recipient-550.txt")
        let server = try serve(transcript, mode: .meaning)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        try connection.mail(from: "alice@example.com")
        try connection.rcpt(to: "bob@example.com")
        do {
            try connection.rcpt(to: "nobody@example.com")
            Issue.record("a 550 must raise in the procedure form")
        } catch {
            #expect(error.isPermanent && !error.isTransient)
            #expect(error.reply?.enhancedStatusCode?.description == "5.1.1")
            #expect(error.description.contains("127.0.0.1:\(server.port) rcpt: permanent error: 550 5.1.1"))
        }
        let reply = try connection.returningReplies.rcpt(to: "carol@example.com")
        #expect(reply.code == 250)
        try connection.openData()
        try connection.writeData("Subject: to two of three\n\n")
        try connection.writeRawData(Array("hello\n".utf8))
        #expect(try connection.closeData().code == 250)
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("sendMail pipelines and reports refused recipients")
    func sendMailPipelined() throws {
        let server = try serve(try TestEnvironment.transcript("pipelining.txt"), mode: .strict)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        #expect(connection.capabilities?.pipelining == true)
        let result = try connection.sendMail(
            from: "alice@example.com", to: ["bob@example.com", "carol@example.com"],
            body: Array("Subject: pipelined\r\n\r\nhello\r\n".utf8))
        #expect(result.isDelivered && result.acceptedRecipients.count == 2)
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("a refused argument sends nothing")
    func nothingSentAfterRefusal() throws {
        let server = try serve(try Transcript(parsing: "220 hi\n> EHLO c\n250 ok\n> QUIT\n221 bye\n"), mode: .strict)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("c")
        #expect(throws: SMTPError.self) { try connection.mail(from: "a@example.com\r\nRSET") }
        #expect(throws: SMTPError.self) { try connection.command("NOOP\nQUIT") }
        // The server's strict script still sees QUIT next: nothing of the refused commands went out.
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("errors and events never carry the password")
    func noSecrets() throws {
        let transcript = try TestEnvironment.transcript("office365-starttls.txt")
        let server = try serve(transcript, mode: .meaning)
        defer { server.stop() }
        let log = EventLog()
        let recorder = TranscriptRecorder()
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 10,
            options: SMTPConnection.Options(tls: TestEnvironment.testTLS, observer: { event in
                log.observer(event)
                recorder.record(event)
            }))
        try connection.ehlo("client.example.com")
        try connection.starttls()
        try connection.ehlo("client.example.com")
        let password = "S3cret-Pa55"
        try connection.auth(username: "sender@example.com", password: password, schemes: ["LOGIN", "XOAUTH2"])
        let everything = log.all.map { "\($0)" }.joined() + recorder.transcript.render()
        #expect(!everything.contains(password) && !everything.contains(Base64.encode(password)))
        #expect(recorder.transcript.render().contains("> AUTH LOGIN\n334 VXNlcm5hbWU6\n> {secret}\n"))
        connection.closeConnection()
    }

    @Test("XOAUTH2: a 334 error challenge gets an empty line and the decoded JSON is reported")
    func xoauth2Error() throws {
        let server = try serve(try TestEnvironment.transcript("xoauth2-error.txt"), mode: .strict)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 10, secureConnectionBeforeSMTP: true,
            options: SMTPConnection.Options(tls: TestEnvironment.testTLS))
        try connection.ehlo("client.example.com")
        do {
            try connection.auth(Credentials(username: "sender@contoso.com", accessToken: "expired-token"), schemes: ["XOAUTH2"])
            Issue.record("535 must raise")
        } catch {
            #expect(error.reply?.code == 535)
            #expect(error.description.contains(#""scope":"https://outlook.office.com/SMTP.Send""#), "\(error)")
            #expect(!error.description.contains("expired-token"))
        }
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("IPv6 loopback: resolve and connect to ::1")
    func ipv6() throws {
        let transcript = try Transcript(parsing: "220 v6\n> QUIT\n221 bye\n")
        guard let server = try? TranscriptServer(transcript: transcript, host: "::1") else { return }
        server.start(connections: 1, acceptTimeout: 10)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "::1", port: server.port, txTimeout: 10)
        #expect(connection.remoteAddress == "::1")
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("sendMails pipelines across messages and resets a refused transaction")
    func sendMailsBatch() throws {
        let server = try serve(try TestEnvironment.transcript("pipelining-batch.txt"), mode: .strict)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        let results = try connection.sendMails([
            OutgoingMail(sender: "alice@example.com", recipients: ["bob@example.com"], body: Array("Subject: one\n\nfirst\n".utf8)),
            OutgoingMail(sender: "alice@example.com", recipients: ["nobody@example.com"], body: Array("Subject: two\n\nsecond\n".utf8)),
            OutgoingMail(sender: "alice@example.com", recipients: ["carol@example.com"], body: Array("Subject: three\n\nthird\n".utf8)),
        ])
        #expect(results.map(\.isDelivered) == [true, false, true])
        #expect(results[1].refusedRecipients.first?.reply.code == 550)
        #expect(results[2].finalReply?.lines.first == "2.0.0 Ok: queued as 3")
        try connection.quit()
        let outcome = try #require(server.waitForOutcome())
        #expect(outcome.followed, "\(String(describing: outcome.deviation))")
    }

    @Test("send pipelines MAIL, RCPT and DATA over a socket; a refused recipient leaves the message to the others")
    func sendPipelined() throws {
        let transcript = try Transcript(parsing: """
            220 mx
            > EHLO client.example.com
            250-mx
            250 PIPELINING
            > MAIL FROM:<alice@example.com>
            > RCPT TO:<bob@example.com>
            > RCPT TO:<nobody@example.com>
            > DATA
            250 ok
            250 ok
            550 5.1.1 no such user
            354 go ahead
            > Subject: x
            >
            > body
            > .
            250 2.0.0 queued
            > QUIT
            221 bye
            """)
        let server = try serve(transcript, mode: .strict)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        let mail = MailTransaction(
            envelope: Envelope(sender: "alice@example.com", recipients: ["bob@example.com", "nobody@example.com"]),
            content: .bytes(Array("Subject: x\n\nbody\n".utf8)))
        let result = try connection.send(mail)
        #expect(result.dataReply?.code == 354 && result.acceptedRecipients == ["bob@example.com"])
        #expect(result.refusedRecipients.map(\.recipient) == ["nobody@example.com"])
        #expect(result.isDelivered && result.finalReply?.singleLine.contains("queued") == true)
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("send without PIPELINING goes step by step, stops when no recipient is accepted and resets")
    func sendStepByStep() throws {
        let transcript = try Transcript(parsing: """
            220 mx
            > EHLO client.example.com
            250 mx
            > MAIL FROM:<alice@example.com>
            250 ok
            > RCPT TO:<nobody@example.com>
            550 5.1.1 no such user
            > RSET
            250 ok
            > QUIT
            221 bye
            """)
        let server = try serve(transcript, mode: .strict)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("client.example.com")
        let mail = MailTransaction(
            envelope: Envelope(sender: "alice@example.com", recipients: ["nobody@example.com"]), content: .bytes(Array("x\n".utf8)))
        let result = try connection.send(mail)
        #expect(result.dataReply == nil && result.acceptedRecipients.isEmpty && result.failure == nil)
        #expect(!result.isDelivered && result.isOutcomeKnown)
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed, "no DATA was sent")
    }
}
