import Foundation
import MailQueue
import Testing

/// `retry --failed` narrowed by when the request failed, its recorded reply's class and its
/// pattern: only the matching ones are queued again, and the count printed says how many.
@Suite("Bulk retry filters")
struct BulkRetryTests {
    @Test("retry --failed --since 1h --reply-class 4xx --pattern P changes only the matching request")
    func filters() throws {
        let queue = try CLIQueue()
        let now = Clock.milliseconds()
        let minutes: Int64 = 60_000
        // (pattern, last error, minutes ago)
        let rows: [(String, String, Int64)] = [
            ("news", "MAIL FROM: 451 4.3.0 try again later", 30),                        // matches
            ("news", "RCPT TO: every recipient refused: 550 5.1.1 no such user", 30),    // 5xx
            ("news", "gave up after 8 attempts: RCPT TO: 452 4.2.2 mailbox full", 120),  // too old
            ("billing", "MAIL FROM: 451 4.3.0 try again later", 30),                     // other pattern
            ("news", "gave up after 8 attempts: connect: timed out", 10),                // no reply
        ]
        var ids: [String] = []
        let database = try SQLiteQueueDatabase(path: queue.path)
        for (pattern, error, ago) in rows {
            let id = try queue.enqueue("s", pattern: pattern)
            ids.append(id)
            _ = try database.transaction { (db) throws(QueueError) in
                try db.execute(SQLStatement(.sqlite, "UPDATE mail_request SET status = 'failed', last_error = ?, finished_at = ? WHERE id = ?",
                                            [.text(error), .integer(now - ago * minutes), .text(id)]))
            }
        }
        let result = try queue.run(["retry", "--failed", "--since", "1h", "--reply-class", "4xx", "--pattern", "news"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("1 request(s) queued again"), "\(result.stdout)")
        let store = QueueStore(database: database)
        #expect(try ids.map { try store.details($0).status } == [.unsent, .failed, .failed, .failed, .failed])

        // 5xx, any age and pattern: the second only.
        let fives = try queue.run(["retry", "--failed", "--reply-class", "5xx"])
        #expect(fives.stdout.contains("1 request(s) queued again"), "\(fives.output)")
        #expect(try store.details(ids[1]).status == .unsent)
        // Bad input: exit 2, naming it.
        let badClass = try queue.run(["retry", "--failed", "--reply-class", "6xx"])
        #expect(badClass.status == 2 && badClass.stderr.contains("--reply-class '6xx'"), "\(badClass.output)")
        let badSince = try queue.run(["retry", "--failed", "--since", "soon"])
        #expect(badSince.status == 2 && badSince.stderr.contains("--since 'soon'"), "\(badSince.output)")
        #expect(try queue.run(["retry", ids[2], "--since", "1h"]).status == 2, "--since needs --failed")
        // Without filters: every failed one left.
        let all = try queue.run(["retry", "--failed"])
        #expect(all.stdout.contains("3 request(s) queued again"), "\(all.output)")
    }
}
