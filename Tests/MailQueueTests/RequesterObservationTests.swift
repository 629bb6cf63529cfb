import Foundation
import GRDB
import MailQueue
import Testing

/// An application that observes its database with GRDB sees the queue's inserts made in its
/// transaction, like any other change (the requester runs them through GRDB's statements).
@Suite("Enqueue in the application's GRDB transaction is observed")
struct RequesterObservationTests {
    final class Recorder: TransactionObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var tables: [String] = []
        private var commits = 0

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) { lock.withLock { tables.append(event.tableName) } }
        func databaseDidCommit(_ db: Database) { lock.withLock { commits += 1 } }
        func databaseDidRollback(_ db: Database) {}

        var changed: [String] { lock.withLock { tables } }
        var committed: Int { lock.withLock { commits } }
    }

    @Test("a TransactionObserver sees the request and recipient rows, and the commit")
    func observed() throws {
        let (_, path) = try makeSQLiteStore()
        let application = try DatabaseQueue(path: path)
        let recorder = Recorder()
        application.add(transactionObserver: recorder, extent: .databaseLifetime)
        try application.write { db in
            _ = try MailQueueRequester.enqueue(textRequest(to: ["bob@example.com", "carol@example.com"]), in: db)
        }
        #expect(recorder.changed.filter { $0 == "mail_request" }.count == 1, "\(recorder.changed)")
        #expect(recorder.changed.filter { $0 == "mail_recipient" }.count == 2, "\(recorder.changed)")
        #expect(recorder.committed == 1)
    }
}
