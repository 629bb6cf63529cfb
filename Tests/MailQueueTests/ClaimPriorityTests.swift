import Foundation
import MailQueue
import Testing

/// A claim scans the due requests one priority at a time (a range of the claim index each):
/// requests scheduled ahead at higher priorities are stepped over without being read, the
/// batch fills across priorities in order, a sender's pattern is kept, and on PostgreSQL a
/// batch whose counted rows another sender holds goes on to the next priorities.
@Suite("Claims per priority")
struct ClaimPriorityTests {
    typealias TestClock = ClaimOrderTests.TestClock
    static let start = ScheduleTests.start

    /// Scheduled ahead at priority 9 (many), and due: two at 5 (one of pattern `x`), one at 2,
    /// three at 0.
    static func fill(_ store: QueueStore, clock: TestClock) throws -> [String: String] {
        var ids: [String: String] = [:]
        for index in 0..<200 {
            _ = try store.enqueue(ScheduleTests.scheduled("ahead \(index)", at: start + 3_600_000 + Int64(index), priority: 9))
        }
        for (index, (name, priority, pattern)) in [("5a", 5, nil), ("5x", 5, "x"), ("2", 2, nil), ("0a", 0, nil),
                                                   ("0b", 0, nil), ("0x", 0, "x")].enumerated() {
            clock.set(start + Int64(index) * 1_000)
            var request = ScheduleTests.scheduled(name, at: nil, priority: priority)
            request.patternID = pattern
            ids[name] = try store.enqueue(request)
        }
        clock.set(start + 10_000)
        return ids
    }

    static func check(makeStore: (TestClock) throws -> QueueStore) throws {
        let clock = TestClock(start)
        let store = try makeStore(clock)
        let ids = try fill(store, clock: clock)
        func claim(_ limit: Int, _ pattern: String?) throws -> [String] {
            let got = try store.claim(owner: "S", limit: limit, leaseMillis: 86_400_000, pattern: pattern)
            return got.map { id in ids.first { $0.value == id }?.key ?? "?" }
        }
        #expect(try claim(2, "x") == ["5x", "0x"], "a pattern's requests across priorities")
        #expect(try claim(3, nil) == ["5a", "2", "0a"], "the batch fills across priorities, highest first")
        #expect(try claim(10, nil) == ["0b"], "the last due one; none scheduled ahead")
        #expect(try claim(10, nil) == [], "nothing due")
        clock.set(start + 3_600_000 + 1)
        #expect(try claim(10, nil).count == 2, "the first two of priority 9 on their time")
    }

    @Test("SQLite: across priorities in order, a pattern kept, requests scheduled ahead at a higher priority left")
    func sqlite() throws {
        let (_, path) = try makeSQLiteStore()
        try Self.check { clock in QueueStore(database: try SQLiteQueueDatabase(path: path), now: { clock.now }) }
    }

    @Test("PostgreSQL: across priorities in order, a pattern kept, requests scheduled ahead at a higher priority left")
    func postgres() throws {
        try withPostgresQueue { _, url in
            try Self.check { clock in QueueStore(database: try PostgresQueueDatabase(url: url), now: { clock.now }) }
        }
    }

    @Test("PostgreSQL: the rows counted at the highest priority are held by another sender: the claim goes on to the next priorities")
    func postgresHeldRows() throws {
        try withPostgresQueue { _, url in
            let clock = TestClock(Self.start)
            let store = QueueStore(database: try PostgresQueueDatabase(url: url), now: { clock.now })
            let ids = try Self.fill(store, clock: clock)
            // Another sender's transaction holds both due requests of priority 5.
            let other = try PostgresConnection(url: url)
            try other.simple("BEGIN")
            #expect(try other.query(SQLStatement(.postgres, "SELECT id FROM mail_request WHERE priority = 5 FOR UPDATE")).count == 2)
            defer { try? other.simple("ROLLBACK") }
            let got = try store.claim(owner: "S", limit: 2, leaseMillis: 60_000, pattern: nil)
            #expect(got == [ids["2"]!, ids["0a"]!], "the next priorities, not an empty batch: \(got)")
        }
    }
}
