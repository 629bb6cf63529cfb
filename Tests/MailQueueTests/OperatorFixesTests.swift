import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// What a new operator ran into: conflicting options, a partly refused message reported as a
/// plain success, no way to retry a waiting request now, a mistyped path creating a file.
@Suite("mail-queue operator details")
struct OperatorFixesTests {
    @Test("a template with --subject/--body (or a JSON line with both) is refused, not half ignored", arguments: [
        ["--subject", "s"], ["--body", "b"], ["--body-file", "/dev/null"],
    ])
    func templateConflicts(_ extra: [String]) throws {
        let queue = try CLIQueue()
        let flags = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--template", "welcome"] + extra)
        #expect(flags.status == 2, "\(flags.output)")
        #expect(flags.stderr.contains("\(extra[0]) cannot be given with --template"), "\(flags.output)")
        let file = queue.directory + "/conflict.jsonl"
        let member = String(extra[0].dropFirst(2)).replacingOccurrences(of: "-file", with: "")
        try #"{"from": "alice@example.com", "to": ["bob@example.com"], "template": "welcome", "\#(member)": "x"}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let lines = try queue.run(["enqueue", "--jsonl", file])
        #expect(lines.status == 1, "\(lines.output)")
        #expect(lines.stderr.contains("conflict.jsonl:1: \(member): cannot be given with \"template\""), "\(lines.output)")
        #expect(try queue.total() == 0, "nothing enqueued")
    }

    @Test("--var without --template and --body with --body-file are refused")
    func otherConflicts() throws {
        let queue = try CLIQueue()
        let base = ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com"]
        let variable = try queue.run(base + ["--var", "name=x"])
        #expect(variable.status == 2 && variable.stderr.contains("--var is for a template"), "\(variable.output)")
        let both = try queue.run(base + ["--body", "b", "--body-file", "/dev/null"])
        #expect(both.status == 2 && both.stderr.contains("--body or --body-file"), "\(both.output)")
    }

    @Test("a command other than init on a missing SQLite file fails (exit 2) and creates nothing", arguments: [
        ["status"], ["show", "x"], ["retry", "--failed"], ["template", "list"],
        ["send", "--once", "--smtp", "127.0.0.1:1"],
        ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com"],
    ])
    func missingDatabase(_ command: [String]) throws {
        let path = try temporaryDirectory() + "/typo.sqlite"
        let result = try runProcess(TestEnvironment.binary, command + ["--database", "sqlite:" + path])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("no queue database here (mail-queue init creates one)"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: path), "no file left behind")
    }

    @Test("retry ID makes a request waiting for its retry time due now; show gives enqueued and sent times")
    func retryWaiting() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let id = try queue.enqueue("waits")
        // Nothing listens on port 1: a retry, due in a minute or more.
        let refused = try queue.run(["send", "--once", "--smtp", "127.0.0.1:1", "--timeout", "5"])
        #expect(refused.status == 1, "\(refused.output)")
        let waiting = try queue.run(["show", id])
        #expect(waiting.stdout.contains("next try:") && waiting.stdout.contains("enqueued:"), "\(waiting.stdout)")
        #expect(!waiting.stdout.contains("sent:"), "\(waiting.stdout)")
        let nothing = try queue.run(["send", "--once", "--smtp", smtp, "--timeout", "10"])
        #expect(nothing.stdout.contains("sent 0,"), "not due yet: \(nothing.output)")
        #expect(nothing.stdout.contains("; 1 waiting to retry, the next at 20"), "the summary says what is left: \(nothing.output)")

        let retried = try queue.run(["retry", id])
        #expect(retried.status == 0 && retried.stdout.contains("1 request(s) queued again"), "\(retried.output)")
        let sent = try queue.run(["send", "--once", "--smtp", smtp, "--timeout", "10"])
        #expect(sent.status == 0 && sent.stdout.contains("sent 1,"), "\(sent.output)")
        let shown = try queue.run(["show", id])
        #expect(shown.stdout.contains("status:      sent") && shown.stdout.contains("sent:        20"), "\(shown.stdout)")
        // A sent request is still left alone.
        let again = try queue.run(["retry", id])
        #expect(again.status == 1 && again.stderr.contains("left alone"), "\(again.output)")
    }

    @Test("a message sent with a recipient refused: exit 0, and the summary says so")
    func partlyRefusedSummary() throws {
        let server = try TranscriptServer(transcript: try Transcript(parsing: SenderFailureTests.partialRefusal), mode: .meaning,
                                          readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 20)
        defer { server.stop() }
        let queue = try CLIQueue()
        let enqueued = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--to", "nobody@example.com",
                                      "--subject", "hello", "--body", "body"])
        let id = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sent = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--helo", "client.example.com", "--timeout", "10"])
        #expect(sent.status == 0, "sent to bob: \(sent.output)")
        #expect(sent.stdout.contains("sent 1,") && sent.stdout.contains("1 sent with some recipients refused"), "\(sent.output)")
        let shown = try queue.run(["show", id])
        #expect(shown.stdout.contains("refused:") && shown.stdout.contains("nobody@example.com: 550 5.1.1 No such user"), "\(shown.stdout)")
    }
}
