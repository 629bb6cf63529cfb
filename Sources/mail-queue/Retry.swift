import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make requests due now: failed ones, delivery-uncertain ones (this may send twice), or ones waiting for their retry time.",
        discussion: """
            Exit codes: 0 every request named was queued again; 1 some were left alone (sent, being sent, or already \
            due); 2 an id does not exist (then nothing is changed), or a usage or database error.
            """)
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "Request ids.") var ids: [String] = []
    @Flag(help: "Every failed request (narrowed by --since, --reply-class, --pattern).") var failed = false
    @Option(help: "--failed: only those that failed within this long (90s, 15m, 12h, 30d).") var since: String?
    @Option(help: "--failed: only those whose recorded reply is 4xx or 5xx.") var replyClass: String?
    @Option(help: "--failed: only this send pattern.") var pattern: String?

    func validate() throws {
        if ids.isEmpty == !failed { throw ValidationError("give request ids or --failed") }
        if !failed, let given = [(since, "--since"), (replyClass, "--reply-class"), (pattern, "--pattern")].first(where: { $0.0 != nil }) {
            throw ValidationError("\(given.1) narrows --failed; give --failed too")
        }
    }

    func run() throws {
        let store = try db.open()
        if failed {
            let filter = try guarded { () throws(QueueError) -> RetryFilter in
                RetryFilter(sinceMillis: try since.map { (text) throws(QueueError) in try RetentionDuration.milliseconds(text, field: "--since") },
                            replyClass: try replyClass.map { (text) throws(QueueError) in try RetryFilter.replyClass(text, field: "--reply-class") },
                            pattern: pattern)
            }
            let n = try guarded { () throws(QueueError) in try store.retryFailed(filter) }
            print("\(n) request(s) queued again")
        } else {
            let changed = try guarded { () throws(QueueError) in try store.retry(ids) }
            for id in ids where !changed.contains(id) {
                Console.error("mail-queue: \(id): not failed, uncertain (unclaimed) or waiting to retry; left alone")
            }
            print("\(changed.count) request(s) queued again")
            if changed.count != ids.count { throw ExitStatus.notAllSent }
        }
    }
}
