import Foundation
import SMTPTranscript
import Testing

/// Text from a user or a server cannot drive the terminal or forge a line: `show`, `template`
/// and error messages print control characters escaped, and a pattern is refused at enqueue
/// unless it is letters, digits, `.`, `_`, `-` and `:`.
@Suite("mail-queue terminal injection")
struct TerminalInjectionTests {
    /// True when `text` holds a byte a terminal acts on other than LF.
    func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) || $0 == "\u{2028}" }
    }

    @Test("show prints ESC and BEL from a subject escaped")
    func subjectEscaped() throws {
        let queue = try CLIQueue()
        let id = try queue.enqueue("hi \u{1B}]0;pwned\u{07}\u{1B}[2J")
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(!hasControl(shown.stdout), "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains("subject:     hi \\x1B]0;pwned\\x07\\x1B[2J"), "\(shown.stdout)")
    }

    @Test("a pattern with CR, LF, U+2028, a space or a quote is refused at enqueue, naming it", arguments: [
        "p\nstatus: sent", "p\rx", "p\u{2028}status: sent", "two words", "p\"q", "", String(repeating: "p", count: 65),
    ])
    func patternRefused(_ pattern: String) throws {
        let queue = try CLIQueue()
        let result = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", "s", "--body", "b",
                                    "--pattern", pattern])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("invalid message: pattern:"), "\(result.stderr)")
        #expect(!hasControl(result.stderr), "\(result.stderr.debugDescription)")
        #expect(try queue.total() == 0)
        let good = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", "s", "--body", "b",
                                  "--pattern", "invoice-2026.q4_jp:tokyo"])
        #expect(good.status == 0, "\(good.output)")
    }

    @Test("a pattern stored before the check (LF in it) cannot forge a line of show")
    func storedPatternEscaped() throws {
        let queue = try CLIQueue()
        let id = try queue.enqueue("s", pattern: "p")
        // As an earlier version could have stored it.
        let updated = try runProcess("sqlite3", [queue.path, "UPDATE mail_request SET pattern_id = 'p' || char(10) || 'status: sent'"])
        #expect(updated.status == 0, "\(updated.output)")
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0, "\(shown.output)")
        let statusLines = shown.stdout.split(separator: "\n").filter { $0.hasPrefix("status:") }
        #expect(statusLines == ["status:      unsent"], "\(shown.stdout)")
        #expect(shown.stdout.contains("pattern:     p\\nstatus: sent"), "\(shown.stdout)")
    }

    @Test("an error message does not echo the CR/LF of a bad charset name")
    func charsetError() throws {
        let queue = try CLIQueue()
        let result = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", "s", "--body", "b",
                                    "--charset", "x\r\nmail-queue: sent 1"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("'x\\r\\nmail-queue: sent 1'"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr.debugDescription)")
    }

    @Test("cancel names an unknown id with its control characters escaped, on one line")
    func cancelIdEscaped() throws {
        let queue = try CLIQueue()
        let result = try queue.run(["cancel", "x\u{1B}]0;pwned\u{07}\nmail-queue: 1 request(s) cancelled"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("x\\x1B]0;pwned\\x07\\nmail-queue: 1 request(s) cancelled: no such request"),
                "\(result.stderr.debugDescription)")
        #expect(!hasControl(result.stderr) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr.debugDescription)")
    }

    @Test("a 530 to MAIL holding ESC and BEL is logged escaped")
    func authRequiredEscaped() throws {
        let script = """
            220 hostile.example ESMTP
            > EHLO client.example.com
            250 hostile.example
            > MAIL FROM:<alice@example.com>
            530 5.7.0 \u{1B}]0;pwned\u{07}\u{1B}[2J authentication required
            > QUIT
            221 bye
            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let queue = try CLIQueue()
        _ = try queue.enqueue("s")
        let result = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--helo", "client.example.com"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("the server requires authentication"), "\(result.stderr)")
        #expect(result.stderr.contains("530 5.7.0 \\x1B]0;pwned\\x07\\x1B[2J authentication required"), "\(result.stderr)")
        #expect(!hasControl(result.stderr), "\(result.stderr.debugDescription)")
    }

    @Test("template list and show escape the subject; the body keeps its lines")
    func templateEscaped() throws {
        let queue = try CLIQueue()
        let body = queue.directory + "/body.txt"
        try "line 1\n\u{1B}[31mred\u{1B}[0m\n".write(toFile: body, atomically: true, encoding: .utf8)
        let put = try queue.run(["template", "put", "--id", "t", "--lang", "en", "--subject", "a\u{1B}[2Jb", "--body-file", body])
        #expect(put.status == 0, "\(put.output)")
        let listed = try queue.run(["template", "list"])
        #expect(listed.stdout.contains("a\\x1B[2Jb") && !hasControl(listed.stdout.replacingOccurrences(of: "\t", with: " ")), "\(listed.stdout)")
        let shown = try queue.run(["template", "show", "--id", "t", "--lang", "en"])
        #expect(shown.stdout.contains("line 1\n\\x1B[31mred\\x1B[0m\n"), "\(shown.stdout.debugDescription)")
    }
}
