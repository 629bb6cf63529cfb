import ArgumentParser
import Foundation
import MailQueue

/// `mail-queue cancel`: withdraws requests not yet being sent.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel requests not yet being sent (unsent or held): they become `cancelled` and are never sent.",
        discussion: """
            A request being sent or delivery-uncertain is refused with the reason (its message may already be on its \
            way). Exit codes: 0 every named request was cancelled; 1 some were refused; 2 an id does not exist or a \
            usage or database error.
            """)
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "Request ids.") var ids: [String] = []
    @Option(help: "Cancel every unsent or held request of this send pattern.") var pattern: String?

    func validate() throws {
        if ids.isEmpty == (pattern == nil) { throw ValidationError("give request ids or --pattern (one of the two)") }
    }

    func run() throws {
        if let pattern {
            return try changePattern(db, "cancelled") { (store) throws(QueueError) in try store.cancel(pattern: pattern) }
        }
        let store = try db.open()
        try guarded { () throws(QueueError) in try store.checkSchema() }
        let outcomes = try guarded { () throws(QueueError) in try store.cancel(ids) }
        var cancelled = 0, refused = 0, missing = 0
        for (id, outcome) in outcomes {
            switch outcome {
            case .cancelled: cancelled += 1
            case .refused(let reason):
                refused += 1
                Console.error("mail-queue: \(id): not cancelled: \(reason)")
            case .notFound:
                missing += 1
                Console.error("mail-queue: \(id): no such request")
            }
        }
        print("\(cancelled) request(s) cancelled")
        if missing > 0 { throw ExitStatus.configuration }
        if refused > 0 { throw ExitStatus.notAllSent }
    }
}

/// `mail-queue hold --pattern P`: keeps a pattern's unsent requests from being claimed.
struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hold a send pattern's unsent requests (during an incident): no sender claims them until `release`.",
        discussion: "Requests being sent finish; ones enqueued later are not held (run hold again).")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "The send pattern id.") var pattern: String

    func run() throws {
        try changePattern(db, "held") { (store) throws(QueueError) in try store.hold(pattern: pattern) }
    }
}

/// `mail-queue release --pattern P`: gives held requests back to the senders.
struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Release a send pattern's held requests: unsent again, due as before.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "The send pattern id.") var pattern: String

    func run() throws {
        try changePattern(db, "released") { (store) throws(QueueError) in try store.release(pattern: pattern) }
    }
}

/// Opens the queue, checks its schema, runs `change` (a whole send pattern's requests at once)
/// and prints how many requests it changed, e.g. "3 request(s) held".
private func changePattern(_ db: DatabaseOptions, _ done: String, _ change: (QueueStore) throws(QueueError) -> Int) throws {
    let store = try db.open()
    let n = try guarded { () throws(QueueError) in
        try store.checkSchema()
        return try change(store)
    }
    print("\(n) request(s) \(done)")
}
