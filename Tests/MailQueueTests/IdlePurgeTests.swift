import Foundation
import MailQueue
import Testing

/// The daemon's retention settings: finished requests past their age are purged while the
/// daemon idles, and nothing else is.
@Suite("mail-queue send --daemon --retention-sent/--retention-failed")
struct IdlePurgeTests {
    static let day: Int64 = 86_400_000

    @Test("while idle, the daemon purges old sent, failed and cancelled requests; young and uncertain ones stay; it keeps sending")
    func purgeWhileIdle() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        var ids: [String: String] = [:]
        for name in ["old-sent-1", "old-sent-2", "old-failed", "old-cancelled", "old-uncertain", "young-sent", "young-failed", "due"] {
            ids[name] = try queue.enqueue("purge \(name)")
        }
        // Their ages, as a sender and `cancel` would have left them days ago.
        let now = Clock.milliseconds()
        let finished: [(String, String, Int64)] = [
            ("old-sent-1", "sent", now - 2 * Self.day), ("old-sent-2", "sent", now - 3 * Self.day),
            ("old-failed", "failed", now - 2 * Self.day), ("old-cancelled", "cancelled", now - 2 * Self.day),
            ("old-uncertain", "uncertain", now - 30 * Self.day), ("young-sent", "sent", now - 60_000),
            ("young-failed", "failed", now - 60_000),
        ]
        let database = try SQLiteQueueDatabase(path: queue.path)
        try database.transaction { (db) throws(QueueError) in
            for (name, status, at) in finished {
                try db.execute(SQLStatement(.sqlite, "UPDATE mail_request SET status = ?, finished_at = ? WHERE id = ?",
                                            [.text(status), .integer(at), .text(ids[name]!)]))
            }
        }
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com", "--idle-poll-seconds", "0.2",
                                               "--retention-sent", "1d", "--retention-failed", "1d"])
        // The due one is sent first; the purge comes at the idle moment after.
        let gone = ["old-sent-1", "old-sent-2", "old-failed", "old-cancelled"]
        #expect(try eventually(timeout: 60) {
            try gone.allSatisfy { try queue.run(["show", ids[$0]!]).status == 2 }
        }, "\(daemon.output)")
        #expect(daemon.child.isRunning, "purged while the daemon runs")
        #expect(daemon.output.contains("purged finished requests") && daemon.output.contains("removed=4"), "\(daemon.output)")
        for name in ["old-uncertain", "young-sent", "young-failed", "due"] {
            #expect(try queue.run(["show", ids[name]!]).status == 0, "\(name) is kept")
        }
        let counts = try queue.counts()
        #expect(counts["uncertain"] == 1 && counts["sent"] == 2 && counts["failed"] == 1 && counts["cancelled"] == 0, "\(counts)")

        // Idle again after the purge, it still sends what comes.
        let later = try queue.enqueue("purge later")
        #expect(try eventually(timeout: 30) { try queue.counts()["sent"] == 3 }, "\(daemon.output)")
        #expect(try queue.run(["show", later]).stdout.contains("sent"))
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }
}
