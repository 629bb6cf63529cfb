import Foundation
import MailQueue
import Testing

/// `enqueue --at/--priority` and JSONL `at`/`priority` through the built binary: bad values
/// exit 2 naming them; `show` and `status` display the schedule and the priority.
@Suite("CLI: scheduled and prioritised requests")
struct ScheduleCLITests {
    static let base = ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", "s", "--body", "b"]

    @Test("--at with a bad time, or --priority out of range: exit 2 naming the value; nothing enqueued")
    func badValues() throws {
        let queue = try CLIQueue()
        for (arguments, named) in [(["--at", "2026-12-24 25:00Z"], "--at: '2026-12-24 25:00Z'"),
                                   (["--at", "2026-12-24T09:00:00"], "--at: '2026-12-24T09:00:00' is not an ISO 8601 time with its offset"),
                                   (["--at", "next tuesday"], "--at: 'next tuesday'"),
                                   (["--priority", "1001"], "--priority: 1001 is outside -1000...1000"),
                                   (["--priority", "high"], "--priority")] {
            let result = try queue.run(Self.base + arguments)
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.stderr.contains(named), "\(arguments): \(result.stderr)")
        }
        let jsonl = try queue.run(["enqueue", "--jsonl", "/dev/null", "--at", "2030-01-01T00:00:00Z"])
        #expect(jsonl.status == 2 && jsonl.stderr.contains("--at cannot be given with --jsonl"), "\(jsonl.output)")
        #expect(try queue.total() == 0)
    }

    @Test("show and status display the schedule and the priority (text and JSON)")
    func display() throws {
        let queue = try CLIQueue()
        let enqueued = try queue.run(Self.base + ["--at", "2099-01-01T00:00:00+09:00", "--priority", "7"])
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let id = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try queue.enqueue("plain")
        let shown = try queue.run(["show", id])
        #expect(shown.stdout.contains("priority:    7"), "\(shown.stdout)")
        #expect(shown.stdout.contains("not before:  2098-12-31T15:00:00Z (in "), "\(shown.stdout)")
        #expect(!shown.stdout.contains("next try:"), "a schedule is not a retry: \(shown.stdout)")
        let status = try queue.run(["status"])
        #expect(status.stdout.contains("unsent     2  (1 scheduled; the first at 2098-12-31T15:00:00Z)"), "\(status.stdout)")
        #expect(status.stdout.contains("by priority: 7: 1, 0: 1"), "\(status.stdout)")
        let json = try queue.run(["status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["scheduled"] as? Int == 1, "\(json.stdout)")
        #expect(object["next_scheduled_at"] as? String == "2098-12-31T15:00:00Z", "\(json.stdout)")
        #expect(object["waiting_to_retry"] as? Int == 0, "\(json.stdout)")
        let priorities = object["unsent_by_priority"] as? [[String: Int]] ?? []
        #expect(priorities == [["priority": 7, "count": 1], ["priority": 0, "count": 1]], "\(json.stdout)")
    }

    @Test("JSONL: at and priority are read; a bad one names FILE:LINE and the member, the other lines go in")
    func jsonl() throws {
        let queue = try CLIQueue()
        let file = queue.directory + "/requests.jsonl"
        try """
            {"from": "a@example.com", "to": "b@example.com", "subject": "one", "at": "2030-01-01T09:00:00+09:00", "priority": 3}
            {"from": "a@example.com", "to": "b@example.com", "subject": "two", "at": "2030-01-01T09:00:00"}
            {"from": "a@example.com", "to": "b@example.com", "subject": "three", "priority": 2.5}
            {"from": "a@example.com", "to": "b@example.com", "subject": "four", "priority": -1001}
            {"from": "a@example.com", "to": "b@example.com", "subject": "five", "priority": -4}

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try queue.run(["enqueue", "--jsonl", file])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("requests.jsonl:2: at: '2030-01-01T09:00:00' is not an ISO 8601 time"), "\(result.stderr)")
        #expect(result.stderr.contains("requests.jsonl:3: priority: must be a whole number"), "\(result.stderr)")
        #expect(result.stderr.contains("requests.jsonl:4: priority: -1001 is outside -1000...1000"), "\(result.stderr)")
        let ids = result.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 2, "\(result.stdout)")
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        let first = try store.details(ids[0]).request
        #expect(first.notBefore == 1_893_456_000_000 && first.priority == 3, "2030-01-01T00:00:00Z")
        let last = try store.details(ids[1]).request
        #expect(last.notBefore == nil && last.priority == -4)
    }
}
