import Foundation
@testable import MailQueue
import Testing

/// An idle sender sleeps until the next unsent request falls due (a scheduled one, a retry),
/// not a whole poll interval past it; bounded below so that it cannot spin, above by the poll
/// interval; the time comes from one probe of an index in both dialects.
@Suite("An idle sender wakes at the next due time")
struct NextDueTests {
    typealias TestClock = ClaimOrderTests.TestClock
    static let start = ScheduleTests.start

    @Test("the wait: until the next due time, at most the poll interval, at least the minimum interval (a past time, a clock step, any Int64)")
    func idleSeconds() {
        let poll = 60.0, now = Self.start
        func wait(_ next: Int64?, poll: Double = poll) -> Double { SenderWorker.idleSeconds(poll: poll, now: now, nextDue: next) }
        #expect(wait(nil) == poll, "nothing scheduled: the poll interval")
        #expect(abs(wait(now + 1_500) - 1.501) < 1e-9, "due in 1.5 s: a millisecond after it")
        #expect(wait(now + 5) == WakeUp.minimumInterval, "due in 5 ms: the minimum interval, not less")
        #expect(wait(now) == WakeUp.minimumInterval && wait(now - 86_400_000) == WakeUp.minimumInterval,
                "a time already past (the clock stepped forward): the minimum interval, no busy loop")
        #expect(wait(now + 10 * 86_400_000) == poll, "far ahead (or the clock stepped back): the poll interval")
        #expect(wait(Int64.max) == poll && wait(Int64.min) == WakeUp.minimumInterval, "any stored value, no overflow")
        #expect(wait(now + 1_000, poll: 0.01) == 0.01, "a poll interval shorter than the minimum stays as it is")
    }

    /// At `start`: a request due now, one scheduled a minute ahead, one retried in 30 s, one sent.
    static func checkNextDue(makeStore: (TestClock) throws -> QueueStore) throws {
        let clock = TestClock(start)
        let store = try makeStore(clock)
        #expect(try store.nextDue() == nil, "an empty queue")
        let dueNow = try store.enqueue(ScheduleTests.scheduled("due now", at: nil))
        #expect(try store.nextDue() == nil, "a request due now is the claim's, not the wait's")
        _ = try store.enqueue(ScheduleTests.scheduled("in a minute", at: start + 60_000, priority: 5))
        #expect(try store.nextDue() == start + 60_000)
        let retried = try store.enqueue(ScheduleTests.scheduled("retried", at: nil, priority: -1))
        let claimed = try store.claim(owner: "S", limit: 10, leaseMillis: 60_000, pattern: nil)
        #expect(claimed == [dueNow, retried], "the two due ones")
        try store.markRetry(retried, owner: "S", nextAttemptAt: start + 30_000, error: "451 later", refused: nil)
        try store.markSent([SentMark(id: dueNow, refused: nil)], owner: "S")
        #expect(try store.nextDue() == start + 30_000, "the retry comes first, whatever its priority")
        clock.set(start + 30_000)
        #expect(try store.nextDue() == start + 60_000, "the retry is due: the scheduled one is next")
        clock.set(start + 60_000)
        #expect(try store.nextDue() == nil)
    }

    @Test("SQLite: the next due time of unsent requests (scheduled, retried), none for due or sent ones")
    func sqliteNextDue() throws {
        let (_, path) = try makeSQLiteStore()
        try Self.checkNextDue { clock in QueueStore(database: try SQLiteQueueDatabase(path: path), now: { clock.now }) }
    }

    @Test("PostgreSQL: the next due time of unsent requests (scheduled, retried), none for due or sent ones")
    func postgresNextDue() throws {
        try withPostgresQueue { _, url in
            try Self.checkNextDue { clock in QueueStore(database: try PostgresQueueDatabase(url: url), now: { clock.now }) }
        }
    }

    @Test("SQLite: the next due time is one search of an index at 100,000 rows, no scan")
    func sqlitePlan() throws {
        let (store, _) = try makeSQLiteStore()
        try ClaimIndexTests.fill(store.database, dialect: .sqlite)
        let lines = try ClaimIndexTests.plan(SenderStatements(dialect: .sqlite).nextDue(after: 1_000_000), on: store.database)
        #expect(lines.count == 1 && lines[0].hasPrefix("SEARCH mail_request USING COVERING INDEX mail_request_due")
                && lines[0].contains("status=? AND next_attempt_at>?"), "\(lines)")
    }

    @Test("PostgreSQL: the next due time is an index scan at 100,000 rows (the first entry), no table scan, no sort")
    func postgresPlan() throws {
        try withPostgresQueue { store, _ in
            try ClaimIndexTests.fill(store.database, dialect: .postgres)
            _ = try store.database.transaction { (db) throws(QueueError) in try db.execute(SQLStatement(.postgres, "ANALYZE mail_request")) }
            let text = try ClaimIndexTests.plan(SenderStatements(dialect: .postgres).nextDue(after: 1_000_000), on: store.database)
                .joined(separator: "\n")
            #expect(text.contains("Limit") && text.contains("Index Only Scan using mail_request_due on mail_request"), "\(text)")
            #expect(!text.contains("Seq Scan") && !text.contains("Sort"), "\(text)")
        }
    }

    @Test("the daemon idling with a 60 s poll sends a request scheduled 2 s ahead at its time: not before, within a second after")
    func daemonWakesOnTime() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com", "--idle-poll-seconds", "60"])
        #expect(eventually(timeout: 30) { daemon.output.contains("wake-up: listening") }, "\(daemon.output)")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let at = Date(timeIntervalSinceNow: 2)
        let enqueued = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com",
                                      "--subject", "on time", "--body", "b", "--at", formatter.string(from: at)])
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let id = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        // Without the wait until the due time, the enqueue's wake-up finds nothing due and the
        // daemon sleeps its 60 s.
        #expect(try eventually(timeout: 15) { try store.details(id).status == .sent }, "\(daemon.output)")
        let details = try store.details(id)
        let notBefore = try #require(details.request.notBefore), sentAt = try #require(details.sentAt)
        #expect(sentAt >= notBefore, "not early: sent \(sentAt - notBefore) ms after its time")
        #expect(sentAt - notBefore < 1_000, "on time: sent \(sentAt - notBefore) ms after its time")
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }
}
