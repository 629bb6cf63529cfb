import Foundation
import MailQueue
import Testing

/// What a claim takes, in both dialects: due requests only, oldest first, at most the batch,
/// the pattern filter, and claims whose lease expired.
@Suite("Claims: which requests, in which order")
struct ClaimOrderTests {
    /// A clock the test moves.
    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int64

        init(_ value: Int64) { self.value = value }

        var now: Int64 { lock.withLock { value } }

        func set(_ new: Int64) { lock.withLock { value = new } }
    }

    static func check(makeStore: (TestClock) throws -> QueueStore, start: Int64) throws {
        let clock = TestClock(start)
        let store = try makeStore(clock)
        var ids: [String] = []
        for index in 0..<5 {
            clock.set(start + Int64(index) * 1_000)
            ids.append(try store.enqueue(textRequest(subject: "r\(index)", pattern: index % 2 == 0 ? "a" : "b")))
        }
        func claim(_ owner: String, _ limit: Int, _ pattern: String?, expect expected: [Int], _ why: String) throws {
            let got = try store.claim(owner: owner, limit: limit, leaseMillis: 60_000, pattern: pattern)
            #expect(got == expected.map { ids[$0] }, "\(why): got \(got.map { ids.firstIndex(of: $0) ?? -1 })")
        }
        clock.set(start + 10_000)
        try claim("X", 2, "a", expect: [0, 2], "pattern a, oldest first, at most 2")
        try claim("Y", 10, nil, expect: [1, 3, 4], "the rest, oldest first")
        try claim("Y", 10, nil, expect: [], "nothing is due")
        try store.markRetry(ids[3], owner: "Y", nextAttemptAt: start + 120_000, error: "451 later", refused: nil)
        // X's and Y's leases run out (Y still holds 1 and 4); 3 waits for its retry time.
        clock.set(start + 100_000)
        try claim("Z", 10, nil, expect: [0, 1, 2, 4], "expired claims are taken again, oldest first; the retry is not due")
        clock.set(start + 150_000)
        try claim("W", 10, "b", expect: [3], "the retry is due; Z's claims are not expired")
    }

    @Test("SQLite")
    func sqlite() throws {
        let (_, path) = try makeSQLiteStore()
        try Self.check(makeStore: { clock in
            QueueStore(database: try SQLiteQueueDatabase(path: path), now: { clock.now })
        }, start: 1_000_000)
    }

    @Test("PostgreSQL")
    func postgres() throws {
        try withPostgresQueue { _, url in
            try Self.check(makeStore: { clock in
                QueueStore(database: try PostgresQueueDatabase(url: url), now: { clock.now })
            }, start: 1_000_000)
        }
    }
}
