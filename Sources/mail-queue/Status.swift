import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Count requests by status; list uncertain ones.")
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        let store = try db.open()
        let (counts, uncertain, waiting, failed, scheduled, priorities) = try guarded { () throws(QueueError) in
            try store.checkSchema()
            // The latest failed requests with their recorded replies, explained.
            let failed = try store.ids(in: .failed, limit: Self.failedShown).map { id throws(QueueError) in (id, try store.details(id).lastError) }
            return (try store.counts(), try store.ids(in: .uncertain, limit: 100), try store.waiting(), failed,
                    try store.scheduled(), try store.unsentByPriority())
        }
        if json {
            var object: [String: Any] = [:]
            for status in RequestStatus.allCases { object[status.rawValue] = counts[status] ?? 0 }
            object["uncertain_ids"] = uncertain
            object["waiting_to_retry"] = waiting.count
            object["next_retry_at"] = waiting.next.map { timestamp($0) } ?? NSNull()
            object["scheduled"] = scheduled.count
            object["next_scheduled_at"] = scheduled.next.map { timestamp($0) } ?? NSNull()
            object["unsent_by_priority"] = priorities.map { ["priority": $0.priority, "count": $0.count] }
            object["failed_requests"] = failed.map { id, error -> [String: Any] in
                var item: [String: Any] = ["id": id, "last_error": error ?? NSNull()]
                if let explanation = error.flatMap(RecordedReply.explanation(of:)) {
                    let fix: Any = explanation.fix ?? NSNull()
                    item["explanation"] = ["id": explanation.id, "vendor": explanation.vendor, "cause": explanation.cause, "fix": fix] as [String: Any]
                }
                return item
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for status in RequestStatus.allCases {
                var line = "\(status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(counts[status] ?? 0)"
                if status == .unsent, waiting.count > 0, let next = waiting.next {
                    line += "  (\(waiting.count) waiting to retry; the next at \(timestamp(next)))"
                }
                if status == .unsent, scheduled.count > 0, let next = scheduled.next {
                    line += "  (\(scheduled.count) scheduled; the first at \(timestamp(next)))"
                }
                print(line)
                if status == .unsent, priorities.contains(where: { $0.priority != 0 }) {
                    print("  by priority: " + priorities.map { "\($0.priority): \($0.count)" }.joined(separator: ", "))
                }
            }
            if !uncertain.isEmpty {
                print("delivery uncertain (the final \".\" was sent, no reply recorded; `retry ID` resends):")
                for id in uncertain { print("  \(id)") }
            }
            if !failed.isEmpty {
                print("failed (up to \(Self.failedShown); `show ID` for each):")
                for (id, error) in failed {
                    print("  \(id)  \(Console.field(error ?? "-"))")
                    if let explanation = error.flatMap(RecordedReply.explanation(of:)) { print("    explained: \(Console.field(Self.explained(explanation)))") }
                }
            }
        }
    }

    /// How many failed requests `status` lists.
    static let failedShown = 20

    /// An explanation on one line: `Office365: cause; fix: …`.
    static func explained(_ explanation: ReplyExplanation) -> String { "\(explanation.vendor): \(explanation)" }
}
