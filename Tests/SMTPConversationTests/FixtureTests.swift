import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// Every transcript in fixtures/transcripts is played through the API against the transcript
/// server in strict mode: the client's bytes must be the transcript's (Go's net/smtp model),
/// the replies must be the transcript's, and a fixture that says `@expect error=KIND` must end
/// in exactly that error.
@Suite("Fixtures through the API")
struct FixtureTests {
    @Test("fixture", arguments: TestEnvironment.fixtureNames)
    func fixture(_ name: String) throws {
        let transcript = try TestEnvironment.transcript(name)
        // Fixtures for the batch API are played by their own test (ConnectionTests).
        guard transcript.expectations["api"] == nil else { return }
        let server = try serve(transcript)
        defer { server.stop() }
        var options = SMTPConnection.Options(tls: TestEnvironment.testTLS)
        let recorder = TranscriptRecorder()
        options.observer = recorder.observer
        let player = TranscriptPlayer(
            transcript: transcript, mode: .strict, credentials: Credentials(username: "user@example.com", password: "pw"),
            options: options, txTimeout: 10)
        let result = player.play(host: "127.0.0.1", port: server.port)
        let outcome = try #require(server.waitForOutcome(timeout: 30))

        if let expectedError = transcript.expectations["error"] {
            let error = try #require(result.error, "\(name): expected error \(expectedError), the client finished")
            #expect(error.kindName == expectedError, "\(name): \(error)")
            #expect(error.context.host == "127.0.0.1" && error.context.port == server.port && error.context.step != nil)
        } else {
            #expect(result.error == nil, "\(name): \(String(describing: result.error))")
            #expect(outcome.followed, "\(name): \(String(describing: outcome.deviation)) \(outcome.error ?? "")")
        }
        #expect(result.mismatches.isEmpty, "\(name): \(result.mismatches)")
        if transcript.expectations["closed"] == "true" {
            #expect(result.connectionClosed, "\(name): the client should see the connection closed")
        }
        // What the client sent, as recorded, never holds a credential.
        let rendered = recorder.transcript.render()
        #expect(!rendered.contains(Base64.encode("pw")) && !rendered.contains(Base64.encode("user@example.com")))
    }

    @Test("a client that leaves the script is reported with the transcript line")
    func deviationIsReported() throws {
        let transcript = try TestEnvironment.transcript("plain-submission.txt")
        let server = try serve(transcript, mode: .meaning)
        defer { server.stop() }
        let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        try connection.ehlo("anything.example")
        try connection.mail(from: "alice@example.com")
        let reply = try connection.returningReplies.rcpt(to: "mallory@example.com")
        #expect(reply.code == 503)
        connection.closeConnection()
        let outcome = try #require(server.waitForOutcome(timeout: 30))
        let deviation = try #require(outcome.deviation)
        #expect(deviation.line == 10)
        #expect(deviation.expected == "> RCPT TO:<bob@example.com>")
        #expect(deviation.actual == "RCPT TO:<mallory@example.com>")
    }

    @Test("strict mode refuses a different EHLO name that meaning mode accepts")
    func strictModeComparesBytes() throws {
        let transcript = try TestEnvironment.transcript("plain-submission.txt")
        for (mode, accepted) in [(MatchMode.strict, false), (.meaning, true)] {
            let server = try serve(transcript, mode: mode)
            defer { server.stop() }
            let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
            let reply = try connection.returningReplies.ehlo("other.example")
            #expect(reply.isPositiveCompletion == accepted, "\(mode): \(reply)")
            connection.closeConnection()
            let outcome = try #require(server.waitForOutcome(timeout: 30))
            #expect((outcome.deviation == nil) == accepted || mode == .meaning)
        }
    }

    @Test("a recorded conversation plays back against the same server")
    func recordAndReplay() throws {
        let original = try TestEnvironment.transcript("plain-submission.txt")
        let first = try serve(original)
        defer { first.stop() }
        let recorder = TranscriptRecorder()
        let player = TranscriptPlayer(transcript: original, mode: .strict,
                                      options: SMTPConnection.Options(observer: recorder.observer))
        #expect(player.play(host: "127.0.0.1", port: first.port).matched)
        _ = first.waitForOutcome()
        let recorded = try Transcript(parsing: recorder.transcript.render(), name: "recorded")
        let second = try serve(recorded)
        defer { second.stop() }
        let again = TranscriptPlayer(transcript: recorded, mode: .strict).play(host: "127.0.0.1", port: second.port)
        #expect(again.matched, "\(again.mismatches) \(String(describing: again.error))")
        #expect(try #require(second.waitForOutcome()).followed)
    }
}
