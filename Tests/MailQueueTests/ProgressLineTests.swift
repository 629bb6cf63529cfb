import Foundation
import MailQueue
import SMTPConversation
import Testing

/// `mail-queue send --once` redraws a counts line ("\rsent N  failed …") on standard error
/// only when standard error is a terminal; a pipe or a log file gets none of it.
@Suite("send progress line")
struct ProgressLineTests {
    /// A queue of three requests carrying `marker`, and the `send --once` arguments for aiosmtpd.
    static func queue(smtp: String, marker: String) throws -> (QueueStore, [String], [String]) {
        let (store, path) = try makeSQLiteStore()
        let ids = try (0..<3).map { try store.enqueue(textRequest(subject: "\(marker) \($0)")) }
        let arguments = ["send", "--once", "--database", "sqlite:" + path, "--smtp", smtp, "--helo", "client.example.com",
                         "--timeout", "10"]
        return (store, ids, arguments)
    }

    static func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test("under a pseudo-terminal the counts line is redrawn with \\r up to sent 3")
    func terminal() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD"), let maildir = TestEnvironment.required("SMTP_AIOSMTPD_MAILDIR")
        else { return }
        let marker = "progress-tty-" + UUID().uuidString
        let (store, ids, arguments) = try Self.queue(smtp: smtp, marker: marker)
        // script(1) from util-linux runs the command on a new pseudo-terminal and copies what
        // it writes (standard output and error, both on the terminal) to our pipe; -e: its status.
        let command = ([TestEnvironment.binary] + arguments).map(Self.quoted).joined(separator: " ")
        let result = try runProcess("script", ["-qec", command, "/dev/null"], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let output = result.stdout
        for n in 1...3 {
            #expect(output.contains("\rsent \(n)  failed 0  retry 0  uncertain 0"), "line for \(n): \(output.debugDescription)")
        }
        let positions = (1...3).compactMap { output.range(of: "\rsent \($0)  failed")?.lowerBound }
        #expect(positions == positions.sorted() && positions.count == 3, "redrawn in order")
        // The last redraw is ended by a newline (the terminal shows it as \r\n), then the summary.
        #expect(output.contains("\rsent 3  failed 0  retry 0  uncertain 0\r\n"), "\(output.debugDescription)")
        // The summary's counts are doubled when the progress line is on: see progressDoesNotDoubleCount.
        #expect(output.contains("claims lost 0\r\n"), "the summary follows")
        for id in ids { #expect(try store.details(id).status == .sent) }
        #expect(Maildir.await(3, in: maildir, containing: marker).count == 3)
    }

    @Test("with standard error on a pipe there is no progress line and no \\r")
    func pipe() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let (store, ids, arguments) = try Self.queue(smtp: smtp, marker: "progress-pipe-" + UUID().uuidString)
        let result = try runProcess(TestEnvironment.binary, arguments, timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.stderr.contains("\r"), "\(result.stderr.debugDescription)")
        #expect(!result.output.contains("sent 3  failed"), "\(result.output.debugDescription)")
        #expect(result.stdout == "sent 3, failed 0, retried 0, uncertain 0, claims lost 0\n", "\(result.stdout.debugDescription)")
        for id in ids { #expect(try store.details(id).status == .sent) }
    }

    @Test("the report of a sender with a progress callback counts each request once")
    func progressDoesNotDoubleCount() throws {
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest())
        let server = try SenderPolicyTests.server(SenderPolicyTests.delivered)
        defer { server.stop() }
        let seen = NSLock()
        nonisolated(unsafe) var snapshots: [SenderReport] = []
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: SenderPolicyTests.settings(server.port), options: SenderOptions(once: true),
            progress: { report in seen.withLock { snapshots.append(report) } })
        let report = try sender.run()
        #expect(try store.details(id).status == .sent)
        #expect(seen.withLock { snapshots.map(\.sent) } == [1], "one progress call, sent 1")
        #expect(report.sent == 1, "the returned report: \(report)")
    }
}
