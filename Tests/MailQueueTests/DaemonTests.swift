import Foundation
import MailQueue
import Testing

/// `mail-queue send --daemon` as a user runs it: started on an empty queue, it sends what is
/// enqueued later (through the API and the CLI), and stops cleanly on SIGTERM.
@Suite("mail-queue send --daemon")
struct DaemonTests {
    @Test("started idle, sends requests enqueued afterwards once each; SIGTERM ends it with status 0")
    func daemon() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD"), let maildir = TestEnvironment.required("SMTP_AIOSMTPD_MAILDIR")
        else { return }
        let (store, path) = try makeSQLiteStore()
        let directory = (path as NSString).deletingLastPathComponent
        let log = directory + "/daemon.out"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? output.close() }

        // No flag sets the idle poll (SenderOptions.idlePollSeconds, 2 s by default): the bounds
        // below allow for several polls.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary)
        process.arguments = ["send", "--daemon", "--database", "sqlite:" + path, "--smtp", smtp,
                             "--helo", "client.example.com", "--timeout", "10"]
        process.standardOutput = output
        process.standardError = output
        let daemon = try Child(process)
        defer { daemon.stop(SIGKILL) }
        #expect(try store.counts().values.reduce(0, +) == 0, "the daemon starts on an empty queue")

        let marker = "daemon-" + UUID().uuidString
        let first = try store.enqueue(textRequest(subject: "\(marker) first"))
        #expect(try eventually(timeout: 30) { try store.details(first).status == .sent }, "sent by the running daemon")

        // Then through the CLI, after the daemon has been idle again.
        let enqueued = try runProcess(TestEnvironment.binary, [
            "enqueue", "--database", "sqlite:" + path, "--from", "alice@example.com", "--to", "bob@example.com",
            "--subject", "\(marker) second", "--body", "second body"], timeout: 60)
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let second = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try eventually(timeout: 30) { try store.details(second).status == .sent }, "sent by the running daemon")
        #expect(daemon.isRunning, "a daemon keeps running with nothing left to send")

        kill(daemon.pid, SIGTERM)
        let status = try daemon.wait(timeout: 30)
        #expect(status == 0, "SIGTERM after everything was sent: status 0")
        let printed = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(printed.contains("sent 2, failed 0, retried 0, uncertain 0, claims lost 0"), "\(printed)")

        let messages = Maildir.await(2, in: maildir, containing: marker)
        let texts = messages.values.map { String(decoding: $0, as: UTF8.self) }
        for (id, subject) in [(first, "first"), (second, "second")] {
            let messageID = try store.details(id).request.messageID
            let copies = texts.filter { $0.contains(messageID) }
            #expect(copies.count == 1, "\(subject) arrived once (\(copies.count))")
            #expect(copies.first?.contains("\(marker) \(subject)") == true)
        }
        #expect(messages.count == 2, "nothing else arrived with the marker")
    }
}
