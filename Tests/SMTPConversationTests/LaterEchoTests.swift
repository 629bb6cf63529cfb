import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// A hostile server quotes the credential in a reply long after AUTH (to RCPT, to the final dot,
/// a 421 on QUIT, a later EHLO, an unsolicited 421, a malformed line): none of it reaches an
/// error, the last reply, the events or the transcript, and the user name it quotes stays.
@Suite("Secrets quoted after AUTH are removed from every later reply")
struct LaterEchoTests {
    static let user = "user@example.com"
    static let password = "TopSecretPW42"
    static let token = "ya29.a0AfH6SMBxTOKENvalue"

    /// What the client sends in each mechanism's exchange, and the scripted replies to it.
    struct Exchange {
        let mechanism: String
        let secret: String
        /// The base64 lines the client sends (the initial response first).
        let lines: [String]
        /// The server's replies after EHLO up to 235.
        let turns: [ScriptedServer.Turn]

        var credentials: Credentials {
            mechanism == "XOAUTH2"
                ? Credentials(username: LaterEchoTests.user, accessToken: secret)
                : Credentials(username: LaterEchoTests.user, password: secret)
        }

        /// Every form a server could quote: each line (padded, unpadded, upper-cased), the secret in
        /// clear (as sent, upper-cased) and its base64.
        var quotable: [String] {
            var forms = [secret, secret.uppercased(), Base64.encode(secret)]
            for line in lines {
                forms += [line, line.uppercased(), String(line.prefix { $0 != "=" })]
            }
            return forms
        }

        static let plain = Exchange(
            mechanism: "PLAIN", secret: password,
            lines: [Base64.encode([0] + Array(user.utf8) + [0] + Array(password.utf8))],
            turns: [.reply("235 2.7.0 ok")])
        static let login = Exchange(
            mechanism: "LOGIN", secret: password, lines: [Base64.encode(user), Base64.encode(password)],
            turns: [.reply("334 VXNlcm5hbWU6"), .reply("334 UGFzc3dvcmQ6"), .reply("235 2.7.0 ok")])
        static let xoauth2 = Exchange(
            mechanism: "XOAUTH2", secret: token,
            lines: [Base64.encode("user=\(user)\u{1}auth=Bearer \(token)\u{1}\u{1}")],
            turns: [.reply("235 2.7.0 ok")])
    }

    /// Text holding every quotable form, and the user name.
    static func quoting(_ exchange: Exchange) -> String {
        "for \(user): " + exchange.quotable.joined(separator: " ")
    }

    @Test("RCPT 550, final-dot 554 and QUIT 421 quoting the secret: gone from errors, last reply, events and transcript; the user name stays",
          arguments: ["PLAIN", "LOGIN", "XOAUTH2"])
    func quotedAfterAuth(mechanism: String) throws {
        let exchange = [Exchange.plain, .login, .xoauth2].first { $0.mechanism == mechanism }!
        let quote = Self.quoting(exchange)
        let server = ScriptedServer(
            [.reply("220 hostile.example ESMTP"), .reply("250-hostile.example\n250 AUTH PLAIN LOGIN XOAUTH2")] + exchange.turns + [
                .reply("250 2.1.0 ok"),
                .reply("550-5.1.1 <bob@example.com> unknown\n550 5.1.1 \(quote)"),
                .reply("250 2.1.5 ok"),
                .reply("354 go ahead"),
                .reply("554 5.7.1 rejected \(quote)"),
                .reply("421 4.3.2 closing \(quote)"),
            ])
        let recorder = TranscriptRecorder()
        let log = EventLog()
        let options = SMTPConnection.Options(allowCleartextAuth: true, observer: { event in
            recorder.record(event)
            log.observer(event)
        })
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10, options: options)
        try connection.ehlo("client.example.com")
        try connection.auth(exchange.credentials, schemes: [exchange.mechanism])
        try connection.mail(from: "alice@example.com")
        let refusedRecipient = #expect(throws: SMTPError.self) { try connection.rcpt(to: "bob@example.com") }
        try connection.rcpt(to: "carol@example.com")
        try connection.openData()
        try connection.writeData("Subject: hi\r\n\r\nhello\r\n")
        let refusedMessage = #expect(throws: SMTPError.self) { try connection.closeData() }
        let closing = #expect(throws: SMTPError.self) { try connection.quit() }
        server.waitUntilDone()
        // The forms really are what the client sent, so the server quoted real secrets.
        let sent = server.received.joined(separator: "\n")
        for line in exchange.lines { #expect(sent.contains(line), "\(line) not sent:\n\(sent)") }

        let errors = [refusedRecipient, refusedMessage, closing].map { $0.map { "\($0)" } ?? "" }
        let texts = errors + [connection.lastReply?.description ?? "", recorder.transcript.render(),
                              log.all.map { "\($0)" }.joined(separator: "\n")]
        for text in texts {
            for form in exchange.quotable { #expect(!text.contains(form), "\(form) in: \(text)") }
        }
        #expect(refusedRecipient?.reply?.code == 550 && refusedMessage?.reply?.code == 554 && closing?.reply?.code == 421)
        for text in errors {
            #expect(text.contains("for \(Self.user): {secret}"), "\(text)")
        }
        #expect(recorder.transcript.render().contains("550 5.1.1 for \(Self.user): {{secret}}"), "\(recorder.transcript.render())")
    }

    @Test("an EHLO after AUTH listing the token: not in the reply nor in the capabilities; the user name stays")
    func ehloAfterAuth() throws {
        let exchange = Exchange.xoauth2
        let server = ScriptedServer(
            [.reply("220 hostile.example ESMTP"), .reply("250-hostile.example\n250 AUTH XOAUTH2")] + exchange.turns + [
                .reply("250-hostile.example hello \(Self.user)\n250-X-DEBUG \(exchange.lines[0])\n250-X-TOKEN \(Self.token)\n250 PIPELINING"),
                .reply("221 bye"),
            ])
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10, options: SMTPConnection.Options(allowCleartextAuth: true))
        try connection.ehlo("client.example.com")
        try connection.auth(exchange.credentials, schemes: ["XOAUTH2"])
        let reply = try connection.ehlo("client.example.com")
        try connection.quit()
        let capabilities = try #require(connection.capabilities)
        let shown = "\(reply) \(capabilities.greeting) \(capabilities.extensions)"
        for form in exchange.quotable { #expect(!shown.contains(form), "\(form) in: \(shown)") }
        #expect(capabilities.greeting.contains(Self.user))
        #expect(capabilities.pipelining && capabilities.parameters(of: "X-TOKEN") == ["{secret}"], "\(capabilities)")
    }

    @Test("a 421 sent with the 235 and read before the next command: its error holds no secret")
    func unsolicitedClosing() throws {
        let exchange = Exchange.plain
        let server = ScriptedServer([
            .reply("220 hostile.example ESMTP"), .reply("250-hostile.example\n250 AUTH PLAIN"),
            .reply("235 2.7.0 ok\n421 4.4.2 \(Self.quoting(exchange))"),
        ])
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10, options: SMTPConnection.Options(allowCleartextAuth: true))
        try connection.ehlo("client.example.com")
        try connection.auth(exchange.credentials, schemes: ["PLAIN"])
        let error = #expect(throws: SMTPError.self) { try connection.mail(from: "alice@example.com") }
        connection.closeConnection()
        let text = error.map { "\($0)" } ?? ""
        #expect(error?.reply?.code == 421, "\(text)")
        for form in exchange.quotable { #expect(!text.contains(form), "\(form) in: \(text)") }
        #expect(text.contains("for \(Self.user): {secret}"), "\(text)")
    }

    @Test("a malformed line quoting the password after AUTH: the malformed-reply error holds no secret")
    func malformedAfterAuth() throws {
        let exchange = Exchange.login
        let server = ScriptedServer(
            [.reply("220 hostile.example ESMTP"), .reply("250-hostile.example\n250 AUTH LOGIN")] + exchange.turns + [
                .reply("what? \(Self.quoting(exchange))"),
            ])
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10, options: SMTPConnection.Options(allowCleartextAuth: true))
        try connection.ehlo("client.example.com")
        try connection.auth(exchange.credentials, schemes: ["LOGIN"])
        let error = #expect(throws: SMTPError.self) { try connection.mail(from: "alice@example.com") }
        let text = error.map { "\($0)" } ?? ""
        #expect(error?.code == .malformedReply, "\(text)")
        for form in exchange.quotable { #expect(!text.contains(form), "\(form) in: \(text)") }
        #expect(text.contains("for \(Self.user): {secret}"), "\(text)")
    }

    @Test("AUTH sent as raw commands (LOGIN, then PLAIN): later replies lose the password lines, the PLAIN blob and the passwords; the user names stay")
    func rawAuthThenQuoted() throws {
        let userLine = Base64.encode(Self.user)
        let passwordLine = Base64.encode(Self.password)
        let plainBlob = Base64.encode([0] + Array("carol".utf8) + [0] + Array("Secret99".utf8))
        let server = ScriptedServer([
            .reply("220 hostile.example ESMTP"), .reply("250-hostile.example\n250 AUTH LOGIN PLAIN"),
            .reply("334 VXNlcm5hbWU6"), .reply("334 UGFzc3dvcmQ6"), .reply("535 5.7.8 no"),
            .reply("235 2.7.0 ok"),
            .reply("550 5.7.1 \(Self.user) said \(Self.password) \(passwordLine) \(userLine); carol said Secret99 \(plainBlob)"),
            .reply("221 bye"),
        ])
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10)
        let calls = connection.returningReplies
        _ = try calls.ehlo("client.example.com")
        _ = try calls.command("AUTH LOGIN")
        _ = try calls.command(userLine)
        _ = try calls.command(passwordLine)
        _ = try calls.command("AUTH PLAIN \(plainBlob)")
        let refusal = try calls.mail(from: "alice@example.com")
        _ = try calls.quit()
        #expect(refusal.singleLine == "550 5.7.1 \(Self.user) said {secret} {secret} {secret}; carol said {secret} {secret}")
    }

    @Test("a second AUTH's reply quoting the first exchange's password: removed")
    func secondExchange() throws {
        var conversation = Conversation(allowsCleartextAuth: true)
        conversation.receive(Array("220 mx\r\n".utf8))
        _ = try conversation.nextReply()
        _ = try conversation.send(.ehlo("client"))
        conversation.receive(Array("250 AUTH PLAIN\r\n".utf8))
        _ = try conversation.nextReply()
        _ = try conversation.send(.auth(mechanism: "PLAIN", initialResponse: Base64.encode("\0bob\0FirstPass1")))
        conversation.receive(Array("535 5.7.8 no\r\n".utf8))
        _ = try conversation.nextReply()
        _ = try conversation.send(.auth(mechanism: "PLAIN", initialResponse: Base64.encode("\0bob\0SecondPass2")))
        conversation.receive(Array("535 5.7.8 bob: firstpass1 then SecondPass2\r\n".utf8))
        #expect(try conversation.nextReply()?.singleLine == "535 5.7.8 {secret}: {secret} then {secret}")
        _ = try conversation.send(.noop)
        conversation.receive(Array("250 bob: FIRSTPASS1 SecondPass2\r\n".utf8))
        #expect(try conversation.nextReply()?.singleLine == "250 bob: {secret} {secret}")
    }

    @Test("SentSecrets keeps PLAIN's password, XOAUTH2's token and the lines, never the user name")
    func sentSecrets() {
        var secrets = SentSecrets()
        secrets.add(line: Base64.encode("admin\0bob@example.com\0pw-123"))
        secrets.add(line: Base64.encode("user=bob@example.com\u{1}auth=Bearer tok.456\u{1}\u{1}"))
        secrets.add(line: Base64.encode("bob@example.com"))
        secrets.add(line: "*")
        let patterns = secrets.patterns.patterns
        #expect(patterns.contains("pw-123") && patterns.contains("tok.456") && patterns.contains(Base64.encode("pw-123")))
        #expect(!patterns.contains("bob@example.com") && !patterns.contains("admin") && !patterns.contains("*"), "\(patterns)")
        #expect(secrets.redacting(Reply(550, "admin bob@example.com PW-123 tok.456")) == Reply(550, "admin bob@example.com {secret} {secret}"))
    }

    @Test("SecretPatterns: ASCII case ignored, overlaps merged into one marker, UTF-8 kept, self-overlapping patterns found, short ones ignored")
    func patterns() {
        var patterns = SecretPatterns()
        patterns.insert("aab")
        patterns.insert("abxy")
        patterns.insert("pässwört")
        patterns.insert("ab")
        #expect(patterns.patterns == ["pässwört", "abxy", "aab"])
        #expect(patterns.redacting("aaab then AABXY") == "a{secret} then {secret}")
        #expect(patterns.redacting("日本 pässwört ü") == "日本 {secret} ü")
        #expect(patterns.redacting("PÄSSWÖRT") == "PÄSSWÖRT", "only ASCII letters fold")
        #expect(patterns.redacting("ab b a") == "ab b a")
        var repetitive = SecretPatterns()
        repetitive.insert(String(repeating: "a", count: 20) + "b")
        let hostile = String(repeating: "a", count: 2000) + "b"
        #expect(repetitive.redacting(hostile) == String(repeating: "a", count: 1980) + "{secret}")
    }
}
