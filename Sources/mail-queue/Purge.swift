import ArgumentParser
import Foundation
import MailQueue

/// `mail-queue purge`: removes finished requests older than the given ages.
struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove finished requests (with their recipients and attachments) older than the given ages.",
        discussion: """
            Durations are a whole number and a unit: 90s, 15m, 12h, 30d. Sent requests count from when they were sent, \
            failed and cancelled ones from when they finished. Unsent, held, being-sent and delivery-uncertain requests \
            are never removed. Rows go a batch per transaction (--batch, default 200), so senders keep working; a SQLite \
            file then gives the freed pages back (incremental vacuum), PostgreSQL leaves that to autovacuum. \
            The daemon does the same while idle with --retention-sent/--retention-failed.
            """)
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Remove sent requests sent longer ago than this.") var sentOlderThan: String?
    @Option(help: "Remove failed and cancelled requests finished longer ago than this.") var failedOlderThan: String?
    @Option(help: "Requests deleted per transaction.") var batch: Int = 200
    @Flag(help: "Print what would be removed; change nothing.") var dryRun = false

    func validate() throws {
        if sentOlderThan == nil && failedOlderThan == nil {
            throw ValidationError("give --sent-older-than, --failed-older-than or both")
        }
        if batch < 1 { throw ValidationError("--batch \(batch): must be at least 1") }
    }

    func run() throws {
        let policy = try guarded { () throws(QueueError) -> RetentionPolicy in
            RetentionPolicy(sentMillis: try sentOlderThan.map { (text) throws(QueueError) in
                                try RetentionDuration.milliseconds(text, field: "--sent-older-than") },
                            failedMillis: try failedOlderThan.map { (text) throws(QueueError) in
                                try RetentionDuration.milliseconds(text, field: "--failed-older-than") },
                            batchSize: batch)
        }
        let store = try db.open()
        let report = try guarded { () throws(QueueError) in
            try store.checkSchema()
            return try store.purge(policy, dryRun: dryRun)
        }
        let parts = [RequestStatus.sent, .failed, .cancelled].compactMap { status in
            report.removed[status].map { "\($0) \(status.rawValue)" }
        }
        if dryRun {
            print("would remove \(report.total) request(s): \(parts.joined(separator: ", "))")
        } else {
            print("removed \(report.total) request(s): \(parts.joined(separator: ", ")) in \(report.batches) transaction(s), "
                + "the longest \(String(format: "%.1f", report.longestBatchMillis)) ms; \(report.pagesFreed) page(s) given back")
        }
    }
}
