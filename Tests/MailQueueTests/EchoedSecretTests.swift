import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// A server that quotes the password back in its refusal: the queue keeps and prints the
/// refusal without it (issue 13, item 8).
@Suite("A password echoed by the server is not stored")
struct EchoedSecretTests {
    static let password = "TopSecretPW"

    @Test("535 quoting the password, its base64 and the PLAIN blob: none of it in stderr, stdout or mail-queue show")
    func echoedPassword() throws {
        let blob = Base64.encode([0] + Array("user@example.com".utf8) + [0] + Array(Self.password.utf8))
        let script = """
            \(HostileScripts.authPlain)
            535-5.7.8 bad password \(Self.password) (\(Base64.encode(Self.password)))
            535 5.7.8 you sent \(blob)
            """
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: script), mode: .meaning, tlsCertificatePath: TestEnvironment.cert("server.pem"),
            tlsKeyPath: TestEnvironment.cert("server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let queue = try CLIQueue()
        let id = try queue.enqueue("echo")
        let result = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--security", "starttls",
                                    "--ca-file", TestEnvironment.cert("ca.pem"), "--user", "user@example.com",
                                    "--helo", "client.example.com", "--timeout", "5"],
                                   environment: ["MAIL_QUEUE_SMTP_PASSWORD": Self.password])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("535 5.7.8 bad password {secret}"), "\(result.output)")
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0, "\(shown.output)")
        for secret in [Self.password, Base64.encode(Self.password), blob] {
            #expect(!result.output.contains(secret), "\(secret) in:\n\(result.output)")
            #expect(!shown.output.contains(secret), "\(secret) in:\n\(shown.output)")
        }
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("after a successful AUTH, a RCPT 550, a final-dot 554 and a QUIT 421 quoting the password and the PLAIN blob: none of it in the stored last error, the refused recipients, the JSON log or mail-queue show; the user name stays")
    func quotedAfterAuth() throws {
        let user = "user@example.com"
        let blob = Base64.encode([0] + Array(user.utf8) + [0] + Array(Self.password.utf8))
        let forms = [Self.password, Self.password.lowercased(), Base64.encode(Self.password), blob, blob.uppercased()]
        let quote = "for \(user): " + forms.joined(separator: " ")
        let script = """
            \(HostileScripts.authPlain)
            235 2.7.0 ok
            > MAIL FROM:<alice@example.com>
            250 2.1.0 ok
            > RCPT TO:<bob@example.com>
            550 5.1.1 <bob@example.com> unknown \(quote)
            > RCPT TO:<carol@example.com>
            250 2.1.5 ok
            > DATA
            354 go ahead
            > Subject: echo
            >
            > b
            > .
            554 5.7.1 rejected \(quote)
            > QUIT
            421 4.3.2 closing \(quote)
            """
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: script), mode: .meaning, tlsCertificatePath: TestEnvironment.cert("server.pem"),
            tlsKeyPath: TestEnvironment.cert("server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let queue = try CLIQueue()
        let enqueued = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--to", "carol@example.com",
                                      "--subject", "echo", "--body", "b"])
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let id = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--security", "starttls",
                                    "--ca-file", TestEnvironment.cert("ca.pem"), "--user", user,
                                    "--helo", "client.example.com", "--timeout", "5", "--log-format", "json"],
                                   environment: ["MAIL_QUEUE_SMTP_PASSWORD": Self.password])
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0, "\(shown.output)")
        let details = try QueueStore(database: try SQLiteQueueDatabase(path: queue.path)).details(id)
        let stored = [details.lastError ?? "", details.refused ?? ""]
        for text in [result.output, shown.output] + stored {
            for form in forms { #expect(!text.contains(form), "\(form) in:\n\(text)") }
        }
        #expect(details.lastError?.contains("554 5.7.1 rejected for \(user): {secret}") == true, "\(String(describing: details.lastError))")
        #expect(details.refused?.contains("550 5.1.1 <bob@example.com> unknown for \(user): {secret}") == true,
                "\(String(describing: details.refused))")
        #expect(shown.output.contains("for \(user): {secret}"), "\(shown.output)")
        #expect(result.output.contains("for \(user): {secret}"), "\(result.output)")
        #expect(try #require(server.waitForOutcome()).followed)
    }
}
