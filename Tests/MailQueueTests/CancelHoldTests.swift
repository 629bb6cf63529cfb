import Foundation
import MailQueue
import Testing

/// Cancel and hold: a cancel racing a sender leaves each request sent or cancelled, never
/// both, never neither; held requests are not claimed until released; the CLI says why a
/// request was not cancelled.
@Suite("Cancel and hold")
struct CancelHoldTests {
    @Test("SQLite: cancel racing a sender: each request sent or cancelled, never both, never neither")
    func raceSQLite() throws {
        let (store, path) = try makeSQLiteStore()
        try race(store, sender: { () throws(QueueError) in QueueStore(database: try SQLiteQueueDatabase(path: path)) })
    }

    @Test("PostgreSQL: cancel racing a sender: each request sent or cancelled, never both, never neither")
    func racePostgres() throws {
        try withPostgresQueue { store, url in
            try race(store, sender: { () throws(QueueError) in QueueStore(database: try PostgresQueueDatabase(url: url)) })
        }
    }

    /// 300 requests; a sender on its own connection claims 5 at a time and, for each, takes
    /// the step before the final dot (`markUncertain`: from there on the message may be on its
    /// way) then marks it sent; meanwhile this thread cancels every request in a random order.
    func race(_ store: QueueStore, sender makeSender: @escaping @Sendable () throws(QueueError) -> QueueStore) throws {
        let ids = try (0..<300).map { _ in try store.enqueue(textRequest()) }
        let sent = Collected()
        let thread = Thread {
            do {
                let sender = try makeSender()
                for _ in 0..<10_000 {
                    let claimed = try sender.claim(owner: "racer", limit: 5, leaseMillis: 60_000, pattern: nil)
                    if claimed.isEmpty && sent.isClosed { break }
                    for id in claimed where try sender.markUncertain(id, owner: "racer") {
                        sent.add(id)
                        try sender.markSent(id, owner: "racer", refused: nil)
                    }
                }
            } catch {
                sent.fail("\(error)")
            }
            sent.finish()
        }
        thread.start()
        var cancelled: Set<String> = []
        var refused: [String: String] = [:]
        for id in ids.shuffled() {
            for (id, outcome) in try store.cancel([id]) {
                switch outcome {
                case .cancelled: cancelled.insert(id)
                case .refused(let reason): refused[id] = reason
                case .notFound: Issue.record("\(id) not found")
                }
            }
        }
        sent.close()
        #expect(sent.waitFinished(seconds: 120))
        #expect(sent.error == nil, "\(sent.error ?? "")")
        let sentIDs = sent.ids
        #expect(sentIDs.isDisjoint(with: cancelled), "sent and cancelled: \(sentIDs.intersection(cancelled))")
        #expect(sentIDs.union(cancelled) == Set(ids), "neither: \(Set(ids).subtracting(sentIDs.union(cancelled)))")
        #expect(!cancelled.isEmpty && !sentIDs.isEmpty, "the two raced (\(cancelled.count) cancelled, \(sentIDs.count) sent)")
        // Every refusal named a sender's step; the stored status agrees with each side.
        for (id, reason) in refused {
            #expect(reason.contains("being sent") || reason.contains("already sent") || reason.contains("uncertain"), "\(id): \(reason)")
        }
        for id in ids {
            let status = try store.details(id).status
            #expect(status == (cancelled.contains(id) ? .cancelled : .sent), "\(id): \(status)")
        }
    }

    @Test("hold keeps a pattern's requests from claims until release; cancel's reasons and exit codes")
    func holdAndCancelCLI() throws {
        let queue = try CLIQueue()
        let p1 = try queue.enqueue("p1", pattern: "news")
        let p2 = try queue.enqueue("p2", pattern: "news")
        let other = try queue.enqueue("other", pattern: "billing")
        let held = try queue.run(["hold", "--pattern", "news"])
        #expect(held.status == 0 && held.stdout.contains("2 request(s) held"), "\(held.output)")
        #expect(try queue.counts()["held"] == 2)
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        #expect(try store.claim(owner: "t", limit: 10, leaseMillis: 60_000, pattern: nil) == [other], "held ones are not claimed")
        let released = try queue.run(["release", "--pattern", "news"])
        #expect(released.status == 0 && released.stdout.contains("2 request(s) released"), "\(released.output)")
        #expect(try queue.counts()["held"] == 0 && queue.counts()["unsent"] == 2)

        // `other` is being sent: refused with the reason, exit 1; p1 cancelled.
        let mixed = try queue.run(["cancel", p1, other])
        #expect(mixed.status == 1, "\(mixed.output)")
        #expect(mixed.stdout.contains("1 request(s) cancelled"))
        #expect(mixed.stderr.contains("\(other): not cancelled: being sent"), "\(mixed.stderr)")
        #expect(try store.details(p1).status == .cancelled)
        #expect(try store.details(other).status == .sending)
        // Uncertain: refused, saying so.
        #expect(try store.markUncertain(other, owner: "t"))
        let uncertain = try queue.run(["cancel", other])
        #expect(uncertain.status == 1 && uncertain.stderr.contains("delivery uncertain"), "\(uncertain.output)")
        // Unknown id: exit 2; by pattern: the rest of news.
        #expect(try queue.run(["cancel", "no-such-id"]).status == 2)
        let byPattern = try queue.run(["cancel", "--pattern", "news"])
        #expect(byPattern.status == 0 && byPattern.stdout.contains("1 request(s) cancelled"), "\(byPattern.output)")
        #expect(try store.details(p2).status == .cancelled)
        #expect(try queue.run(["cancel"]).status == 2)
        // A cancelled request is never claimed.
        #expect(try store.claim(owner: "t2", limit: 10, leaseMillis: 60_000, pattern: nil).isEmpty)
    }
}

/// Ids one thread collects for another, with a close flag and an end signal.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var collected: Set<String> = []
    private var closed = false
    private(set) var error: String?

    var ids: Set<String> { lock.withLock { collected } }
    var isClosed: Bool { lock.withLock { closed } }
    func add(_ id: String) { lock.withLock { _ = collected.insert(id) } }
    func close() { lock.withLock { closed = true } }
    func fail(_ text: String) { lock.withLock { error = text } }
    func finish() { finished.signal() }
    func waitFinished(seconds: Double) -> Bool { finished.wait(timeout: .now() + seconds) == .success }
}
