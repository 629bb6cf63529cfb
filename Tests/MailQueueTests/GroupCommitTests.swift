import Foundation
@testable import MailQueue
import Testing

/// Write transactions of several threads on one SQLite connection share commits: each caller
/// still sees its own changes committed (or its own error) and nothing of another's error.
@Suite("Group commit on the shared SQLite connection")
struct GroupCommitTests {
    struct Planned: Error {}

    @Test("transactions waiting while one runs are committed together, in one group")
    func grouping() throws {
        let commit = GroupCommit()
        let release = DispatchSemaphore(value: 0)
        let sizes = Locked<[Int]>([])
        let runner: @Sendable ([GroupCommit.Ticket]) -> [QueueError?] = { group in
            sizes.update { $0.append(group.count) }
            // The first group holds the connection until the others are queued behind it.
            if sizes.value.count == 1 { release.wait() }
            return group.map { _ in nil }
        }
        let done = DispatchGroup()
        func start() {
            done.enter()
            Thread {
                defer { done.leave() }
                let ticket = GroupCommit.Ticket { _ in }
                do { try commit.run(ticket, with: runner) } catch { Issue.record("\(error)") }
            }.start()
        }
        // The first thread leads and holds the connection; five more queue behind it.
        start()
        #expect(eventually(timeout: 10) { sizes.value.count == 1 })
        for _ in 0..<5 { start() }
        #expect(eventually(timeout: 10) { commit.waitingCount == 5 }, "five transactions wait for the first")
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(sizes.value == [1, 5], "one group of one, then one of five: \(sizes.value)")
    }

    @Test("eight threads, 1,600 transactions on one connection: every committed row is there, every failed one is not")
    func concurrentTransactions() throws {
        let path = try temporaryDirectory() + "/group.sqlite"
        let database = try SQLiteQueueDatabase(path: path)
        try database.transaction { (db) throws(QueueError) in
            _ = try db.execute(SQLStatement(.sqlite, "CREATE TABLE item (thread INTEGER, n INTEGER)"))
        }
        let failures = Locked(0), successes = Locked(0)
        let done = DispatchGroup()
        for thread in 0..<8 {
            done.enter()
            Thread {
                defer { done.leave() }
                for n in 0..<200 {
                    do throws(QueueError) {
                        let value = try database.transaction { (db) throws(QueueError) -> Int in
                            try db.execute(SQLStatement(.sqlite, "INSERT INTO item VALUES (?, ?)", [.integer(Int64(thread)), .integer(Int64(n))]))
                            if n % 7 == 3 { throw QueueError(.database, field: "test", reason: "planned failure \(thread)/\(n)") }
                            return n
                        }
                        #expect(value == n, "each caller gets its own result")
                        successes.update { $0 += 1 }
                    } catch {
                        #expect(error.description.contains("planned failure \(thread)/\(n)"), "each caller gets its own error: \(error)")
                        failures.update { $0 += 1 }
                    }
                }
            }.start()
        }
        #expect(done.wait(timeout: .now() + 120) == .success)
        let planned = 8 * (0..<200).filter { $0 % 7 == 3 }.count
        #expect(failures.value == planned)
        #expect(successes.value == 1_600 - planned)
        let rows = try database.read { (db) throws(QueueError) in try db.query(SQLStatement(.sqlite, "SELECT thread, n FROM item")) }
        #expect(rows.count == 1_600 - planned, "the failed transactions left nothing")
        #expect(!rows.contains { ($0[1].integer ?? 0) % 7 == 3 }, "no row of a failed transaction")
        #expect(database.group.largestGroup > 1, "some transactions shared a commit (savepoints)")
        #expect(Set(rows.map { "\($0[0].integer ?? -1)/\($0[1].integer ?? -1)" }).count == rows.count, "each row once")
    }
}

/// Locked is a value shared between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
