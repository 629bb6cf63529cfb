import Foundation
import MailQueue
import Testing

/// SIGHUP: `send --daemon` reads its --config file and its wallet again; a file that does not
/// load is logged and the settings in use are kept.
@Suite("mail-queue send --daemon: SIGHUP reload")
struct ReloadTests {
    @Test("a changed pattern applies after HUP; a broken file keeps the old settings and says why (FILE:LINE); RELOADING/READY notified")
    func reloadPattern() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let config = queue.directory + "/send.conf"
        func write(_ pattern: String, extra: String = "") throws {
            try "smtp = \(smtp)\nhelo = client.example.com\nidle-poll-seconds = 0.2\npattern = \(pattern)\n\(extra)"
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write("a")
        let notify = try FakeNotifySocket(abstract: true)
        let daemon = try RunningDaemon(queue, ["--config", config], environment: ["NOTIFY_SOCKET": notify.name])
        #expect(notify.receive(until: "READY=1", timeout: 60).last?.text == "READY=1", "\(daemon.output)")
        // b first, then a: both due; only a's pattern is served.
        let b1 = try queue.enqueue("reload b1", pattern: "b")
        let a1 = try queue.enqueue("reload a1", pattern: "a")
        #expect(try eventually(timeout: 30) { try status(queue, a1) == "sent" }, "\(daemon.output)")
        #expect(try status(queue, b1) == "unsent", "pattern a only")

        try write("b")
        kill(daemon.child.pid, SIGHUP)
        #expect(try eventually(timeout: 30) { try status(queue, b1) == "sent" }, "after HUP, pattern b: \(daemon.output)")
        #expect(daemon.output.contains("settings reloaded"), "\(daemon.output)")
        #expect(notify.receive(until: "READY=1", timeout: 30).map(\.text) == ["RELOADING=1", "READY=1"])

        // A broken file: an unknown key on line 5. The old settings (pattern b) stay.
        try write("a", extra: "colour = blue\n")
        kill(daemon.child.pid, SIGHUP)
        #expect(eventually(timeout: 30) { daemon.output.contains("reload refused") }, "\(daemon.output)")
        #expect(daemon.output.contains("send.conf:5") && daemon.output.contains("unknown key 'colour'"), "\(daemon.output)")
        let a2 = try queue.enqueue("reload a2", pattern: "a")
        let b2 = try queue.enqueue("reload b2", pattern: "b")
        #expect(try eventually(timeout: 30) { try status(queue, b2) == "sent" }, "still pattern b: \(daemon.output)")
        #expect(try status(queue, a2) == "unsent", "the broken file's pattern a was not applied")
        #expect(daemon.child.isRunning)

        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
        #expect(daemon.output.contains("sent 3,"), "the summary adds up every generation: \(daemon.output)")
    }

    @Test("the wallet is read again on HUP: a certificate added shows in /metrics with a later check time")
    func reloadWallet() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let wallet = queue.directory + "/wallet"
        let walletTool = TestEnvironment.root.appendingPathComponent(".build/debug/smtp-wallet").path
        let created = try runProcess(walletTool, ["create", "--wallet", "file:" + wallet, "--auto-login"])
        #expect(created.status == 0, "\(created.output)")
        let added = try runProcess(walletTool, ["add", "--wallet", "file:" + wallet, "--auto-login", TestEnvironment.cert("ca.pem")])
        #expect(added.status == 0, "\(added.output)")
        let config = queue.directory + "/send.conf"
        try "smtp = \(smtp)\nhelo = client.example.com\nwallet = file:\(wallet)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(queue, ["--config", config, "--metrics", "127.0.0.1:0"])
        let port = try #require(daemon.metricsPort(), "\(daemon.output)")
        let before = parseExposition(try curlGet(port, "/metrics").body)
        let certificates = { (samples: [String: Double]) in samples.keys.filter { $0.hasPrefix("mail_queue_certificate_days_left{") } }
        #expect(certificates(before).count == 1, "\(before)")
        let checked = try #require(before["mail_queue_wallet_last_check_timestamp_seconds"])

        let more = try runProcess(walletTool, ["add", "--wallet", "file:" + wallet, "--auto-login", TestEnvironment.cert("intermediate.pem")])
        #expect(more.status == 0, "\(more.output)")
        kill(daemon.child.pid, SIGHUP)
        var after: [String: Double] = [:]
        #expect(try eventually(timeout: 30) {
            after = parseExposition(try curlGet(port, "/metrics").body)
            return certificates(after).count == 2
        }, "\(after) \(daemon.output)")
        #expect((after["mail_queue_wallet_last_check_timestamp_seconds"] ?? 0) >= checked)
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }

    private func status(_ queue: CLIQueue, _ id: String) throws -> String {
        let shown = try queue.run(["show", id])
        let line = shown.stdout.split(separator: "\n").first { $0.hasPrefix("status:") } ?? ""
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? shown.output
    }
}
