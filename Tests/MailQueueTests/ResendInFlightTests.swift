import Foundation
import MailQueue
import Testing

/// `resendUncertain` takes requests left uncertain by a sender that is gone, never one a live
/// sender is delivering: marked uncertain before its dot and still claimed until the 250 is
/// recorded (a deferred sent mark included).
@Suite("Resending uncertain requests (resendUncertain, retry ID) skips those in flight")
struct ResendInFlightTests {
    /// Claims `id` as owner A at `start` and marks it uncertain (A's final dot is under way);
    /// then checks what other senders with `resendUncertain` may take, and when.
    static func check(makeStore: (_ now: Int64) throws -> QueueStore, id: String, start: Int64) throws {
        let a = try makeStore(start)
        #expect(try a.claim(owner: "A", limit: 10, leaseMillis: 300_000, pattern: nil) == [id])
        #expect(try a.markUncertain(id, owner: "A"))
        #expect(try a.details(id).status == .uncertain)

        let during = try makeStore(start + 1_000)
        #expect(try during.claim(owner: "B", limit: 10, leaseMillis: 300_000, pattern: nil, resendUncertain: true) == [],
                "in flight under A's live lease: not resent")
        #expect(try during.retry([id]) == [], "nor made unsent by retry ID")
        #expect(try during.details(id).status == .uncertain)
        let later = try makeStore(start + 301_000)
        #expect(try later.claim(owner: "C", limit: 10, leaseMillis: 300_000, pattern: nil, resendUncertain: true) == [id],
                "A's lease expired (A is gone): resent by choice")
        // C's dot is lost in turn; its error recorded, the claim let go: resendable at once.
        #expect(try later.markUncertain(id, owner: "C"))
        try later.noteUncertain(id, owner: "C", error: "final dot: connection lost")
        #expect(try later.claim(owner: "D", limit: 10, leaseMillis: 300_000, pattern: nil, resendUncertain: true) == [id])
    }

    @Test("SQLite")
    func sqlite() throws {
        let (store, path) = try makeSQLiteStore(now: { 1_000_000 })
        let id = try store.enqueue(textRequest())
        try Self.check(makeStore: { now in QueueStore(database: try SQLiteQueueDatabase(path: path), now: { now }) },
                       id: id, start: 1_000_000)
    }

    @Test("PostgreSQL")
    func postgres() throws {
        try withPostgresQueue { store, url in
            let id = try store.enqueue(textRequest())
            let start = Clock.milliseconds() + 1_000
            try Self.check(makeStore: { now in QueueStore(database: try PostgresQueueDatabase(url: url), now: { now }) },
                           id: id, start: start)
        }
    }
}
