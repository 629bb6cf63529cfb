import Foundation
import MailQueue
import Testing

/// Scheduled and prioritised sending: a request carrying `notBefore` is not claimed before it
/// (a fake clock moves), then is; retries keep their backoff; claims take due requests by
/// priority, then due time, in both dialects.
@Suite("Scheduled and prioritised sending")
struct ScheduleTests {
    typealias TestClock = ClaimOrderTests.TestClock
    static let start: Int64 = 1_800_000_000_000

    static func scheduled(_ subject: String, at notBefore: Int64?, priority: Int = 0) -> MailRequest {
        MailRequest(from: "alice@example.com", to: ["bob@example.com"], content: .text(subject: subject, body: "b\n"),
                    notBefore: notBefore, priority: priority)
    }

    /// Enqueues at `start`: a request scheduled a minute later, one not scheduled, one scheduled far ahead.
    static func checkSchedule(makeStore: (TestClock) throws -> QueueStore) throws {
        let clock = TestClock(start)
        let store = try makeStore(clock)
        let later = try store.enqueue(scheduled("later", at: start + 60_000))
        let now = try store.enqueue(scheduled("now", at: nil))
        let past = try store.enqueue(scheduled("past", at: start - 3_600_000))
        let far = try store.enqueue(scheduled("far", at: start + 86_400_000))
        func claim(_ expected: [String], _ why: String) throws {
            let got = try store.claim(owner: "S", limit: 10, leaseMillis: 365 * 86_400_000, pattern: nil)
            #expect(got == expected, "\(why): got \(got), expected \(expected)")
        }
        // Both due at enqueue (a time already past is due then), at the same priority: either order.
        let first = try store.claim(owner: "S", limit: 10, leaseMillis: 365 * 86_400_000, pattern: nil)
        #expect(Set(first) == [now, past] && first.count == 2, "the unscheduled one and the one whose time has passed")
        #expect(try store.scheduled().count == 2)
        #expect(try store.scheduled().next == start + 60_000)
        #expect(try store.waiting().count == 0, "scheduled requests are not waiting to retry")
        #expect(try store.retry([far]) == [], "retry does not send a request before its time")
        clock.set(start + 59_999)
        try claim([], "one millisecond early: nothing")
        clock.set(start + 60_000)
        try claim([later], "on time")
        #expect(try store.details(later).request.notBefore == start + 60_000)
        // A 4xx after its time: the backoff holds as for any request.
        try store.markRetry(later, owner: "S", nextAttemptAt: start + 120_000, error: "451 later", refused: nil)
        #expect(try store.waiting().count == 1, "waiting to retry now, no longer scheduled")
        #expect(try store.scheduled().count == 1)
        clock.set(start + 119_999)
        try claim([], "the retry is not due")
        clock.set(start + 120_000)
        try claim([later], "the retry is due")
        clock.set(start + 86_400_000)
        try claim([far], "the far one, on its day")
    }

    /// Priorities 0, 5, -1, 5, 0 enqueued a second apart, and a 9 scheduled for later.
    static func checkPriority(makeStore: (TestClock) throws -> QueueStore) throws {
        let clock = TestClock(start)
        let store = try makeStore(clock)
        var ids: [String] = []
        for (index, priority) in [0, 5, -1, 5, 0].enumerated() {
            clock.set(start + Int64(index) * 1_000)
            ids.append(try store.enqueue(scheduled("p\(priority)", at: nil, priority: priority)))
        }
        let urgent = try store.enqueue(scheduled("p9 later", at: start + 100_000, priority: 9))
        #expect(try store.details(urgent).request.priority == 9)
        func claim(_ owner: String, _ limit: Int, _ expected: [String], _ why: String) throws {
            let got = try store.claim(owner: owner, limit: limit, leaseMillis: 60_000, pattern: nil)
            #expect(got == expected, "\(why): got \(got.map { ids.firstIndex(of: $0) ?? -1 })")
        }
        clock.set(start + 10_000)
        try claim("A", 2, [ids[1], ids[3]], "the two 5s first, the older one first")
        try claim("B", 2, [ids[0], ids[4]], "then the 0s, oldest first; not the 9 scheduled later")
        // A's and B's leases run out and the 9 is due: one claim merges the scans by priority.
        clock.set(start + 100_000)
        try claim("C", 10, [urgent, ids[1], ids[3], ids[0], ids[4], ids[2]],
                  "the 9, then the expired 5s and 0s, then the -1, across the unsent and expired-lease scans")
    }

    @Test("SQLite: not claimed before its time, claimed at it; retries keep their backoff")
    func sqliteSchedule() throws {
        let (_, path) = try makeSQLiteStore()
        try Self.checkSchedule { clock in QueueStore(database: try SQLiteQueueDatabase(path: path), now: { clock.now }) }
    }

    @Test("PostgreSQL: not claimed before its time, claimed at it; retries keep their backoff")
    func postgresSchedule() throws {
        try withPostgresQueue { _, url in
            try Self.checkSchedule { clock in QueueStore(database: try PostgresQueueDatabase(url: url), now: { clock.now }) }
        }
    }

    @Test("SQLite: claims by priority, then due time")
    func sqlitePriority() throws {
        let (_, path) = try makeSQLiteStore()
        try Self.checkPriority { clock in QueueStore(database: try SQLiteQueueDatabase(path: path), now: { clock.now }) }
    }

    @Test("PostgreSQL: claims by priority, then due time")
    func postgresPriority() throws {
        try withPostgresQueue { _, url in
            try Self.checkPriority { clock in QueueStore(database: try PostgresQueueDatabase(url: url), now: { clock.now }) }
        }
    }

    @Test("The sender does not send a scheduled request early, and sends it on time (aiosmtpd, fake clock)")
    func senderOnTime() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD"), let maildir = TestPeers.required("SMTP_AIOSMTPD_MAILDIR") else { return }
        let clock = TestClock(Clock.milliseconds())
        let (store, path) = try makeSQLiteStore(now: { clock.now })
        let marker = UUID().uuidString
        let id = try store.enqueue(Self.scheduled("scheduled \(marker)", at: clock.now + 3_600_000))
        func run() throws -> SenderReport {
            try QueueSender(
                store: { () throws(QueueError) -> QueueStore in
                    QueueStore(database: try SQLiteQueueDatabase(path: path), now: { clock.now })
                },
                settings: SMTPSettings(host: peer.host, port: peer.port, heloName: "client.example.com", timeout: 10),
                options: SenderOptions(once: true)).run()
        }
        let early = try run()
        #expect(early.sent == 0 && early.failed == 0 && early.retried == 0, "\(early)")
        #expect(try store.details(id).status == .unsent)
        #expect(try store.details(id).attempts == 0)
        clock.set(clock.now + 3_600_000)
        let onTime = try run()
        #expect(onTime.sent == 1, "\(onTime)")
        #expect(try store.details(id).status == .sent)
        #expect(Maildir.await(1, in: maildir, containing: marker).count == 1, "the message arrived once")
    }

    @Test("ISO 8601 times with their offsets; a time without one, or not a time, is refused naming it")
    func times() throws {
        let base: Int64 = 1_798_102_800_000  // 2026-12-24T09:00:00Z
        for (text, expected) in [("2026-12-24T09:00:00Z", base), ("2026-12-24T18:00:00+09:00", base),
                                 ("2026-12-24T04:00-0500", base), ("2026-12-24 09:00:00.25z", base + 250),
                                 ("2026-12-24t09:00:00.123456789Z", base + 123), ("2024-02-29T00:00:00Z", 1_709_164_800_000),
                                 ("1970-01-01T00:00:00Z", 0)] {
            #expect(try ScheduledTime.milliseconds(text, field: "--at") == expected, "\(text)")
        }
        for bad in ["", "2026-12-24", "2026-12-24T09:00:00", "2026-12-24T09:00:00+9", "2026-13-01T00:00Z",
                    "2026-02-29T00:00Z", "2026-12-24T24:00Z", "2026-12-24T09:00:60Z", "1969-12-31T23:59:59Z",
                    "2026-12-24T09:00:00Z ", "tomorrow", "2026-12-24T09:00:00.Z", "12026-01-01T00:00Z"] {
            do {
                _ = try ScheduledTime.milliseconds(bad, field: "--at")
                Issue.record("accepted '\(bad)'")
            } catch {
                #expect(error.field == "--at" && error.reason.contains("'\(bad)'"), "\(error)")
            }
        }
        #expect(throws: QueueError.self) { try RequestPreparer.checkSchedule(notBefore: nil, priority: 1001) }
        #expect(throws: QueueError.self) { try RequestPreparer.checkSchedule(notBefore: -1, priority: 0) }
    }
}
