import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// A hostile server quotes the credential back in its reply to AUTH: the reply is kept, shown
/// and recorded without it (issue 13, items 4 and 8).
@Suite("AUTH replies lose any echo of the credential")
struct AuthEchoTests {
    static let password = "TopSecretPW"
    static let user = "user@example.com"

    /// AUTH PLAIN answered with the password, its base64 and the whole PLAIN blob quoted back.
    static var plainEcho: String {
        let blob = Base64.encode([0] + Array(user.utf8) + [0] + Array(password.utf8))
        return """
            220 hostile.example ESMTP
            > EHLO client.example.com
            250-hostile.example
            250 AUTH PLAIN LOGIN
            > AUTH PLAIN {secret}
            535-5.7.8 bad password \(password) (\(Base64.encode(password)))
            535 5.7.8 you sent \(blob)
            > QUIT
            221 bye
            """
    }

    @Test("AUTH PLAIN refused with the password quoted: the error, the reply, the events and the transcript hold none of it")
    func plainEchoRemoved() throws {
        let server = try serve(try Transcript(parsing: Self.plainEcho), mode: .meaning)
        defer { server.stop() }
        let recorder = TranscriptRecorder()
        let log = EventLog()
        let options = SMTPConnection.Options(allowCleartextAuth: true, observer: { event in
            recorder.record(event)
            log.observer(event)
        })
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 5, options: options)
        try connection.ehlo("client.example.com")
        let error = #expect(throws: SMTPError.self) {
            try connection.auth(username: Self.user, password: Self.password, schemes: ["PLAIN"])
        }
        try connection.quit()
        let forms = [Self.password, Base64.encode(Self.password), String(Base64.encode(Self.password).prefix(12))]
        let texts = [error?.description ?? "", connection.lastReply?.description ?? "", recorder.transcript.render(),
                     log.all.map { "\($0)" }.joined(separator: "\n")]
        for text in texts {
            for form in forms { #expect(!text.contains(form), "\(form) in: \(text)") }
        }
        #expect(error?.reply?.code == 535 && error?.description.contains("bad password {secret}") == true, "\(String(describing: error))")
        #expect(recorder.transcript.render().contains("535-5.7.8 bad password {{secret}}"), "\(recorder.transcript.render())")
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("AUTH LOGIN sent as raw commands: the answers to 334 are shown as {secret}, and the reply's echo is removed")
    func rawLoginRedacted() throws {
        let userLine = Base64.encode(Self.user)
        let passwordLine = Base64.encode(Self.password)
        let script = """
            220 hostile.example ESMTP
            > EHLO client.example.com
            250 AUTH LOGIN
            > AUTH LOGIN
            334 VXNlcm5hbWU6
            > {secret}
            334 UGFzc3dvcmQ6
            > {secret}
            535 5.7.8 bad password \(Self.password) (\(passwordLine))
            > AUTH PLAIN AGFsaWNlAFNlY3JldDk5
            535 5.7.8 no Secret99 here
            > QUIT
            221 bye
            """
        let server = try serve(try Transcript(parsing: script), mode: .meaning)
        defer { server.stop() }
        let recorder = TranscriptRecorder()
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 5, options: SMTPConnection.Options(observer: recorder.observer))
        let calls = connection.returningReplies
        _ = try calls.ehlo("client.example.com")
        #expect(try calls.command("AUTH LOGIN").code == 334)
        #expect(connection.isAwaitingRawAuthResponse)
        #expect(try calls.command(userLine).code == 334)
        let refusal = try calls.command(passwordLine)
        #expect(!connection.isAwaitingRawAuthResponse)
        #expect(refusal.singleLine == "535 5.7.8 bad password {secret} ({secret})")
        #expect(try calls.command("AUTH PLAIN AGFsaWNlAFNlY3JldDk5").singleLine == "535 5.7.8 no {secret} here")
        _ = try calls.quit()
        let recorded = recorder.transcript.render()
        for secret in [userLine, passwordLine, Self.password, "AGFsaWNlAFNlY3JldDk5", "Secret99"] {
            #expect(!recorded.contains(secret), "\(secret) in:\n\(recorded)")
        }
        #expect(recorded.contains("> AUTH LOGIN\n334 VXNlcm5hbWU6\n> {secret}\n334 UGFzc3dvcmQ6\n> {secret}\n"), "\(recorded)")
        #expect(recorded.contains("> AUTH PLAIN {secret}\n"), "\(recorded)")
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("AuthEchoes: base64 forms with and without padding, PLAIN's and XOAUTH2's parts; short parts left alone")
    func echoes() {
        var echoes = AuthEchoes()
        echoes.add(response: Base64.encode("user=bob@example.com\u{1}auth=Bearer ya29.TOKEN\u{1}\u{1}"))
        echoes.add(response: Base64.encode("ab"))
        #expect(echoes.redacting("token ya29.TOKEN for bob@example.com") == "token {secret} for {secret}")
        #expect(echoes.redacting("ab is short, YWI is not") == "ab is short, {secret} is not")
        #expect(echoes.redacting(Reply(535, "nothing")) == Reply(535, "nothing"))
    }
}
