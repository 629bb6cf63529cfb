import Foundation

/// GroupCommit combines the write transactions that several threads want on one connection
/// at the same moment into one transaction, one commit (a "group commit").
///
/// The queue's workers share a SQLite connection, and each of them commits once per message
/// (the uncertain mark before the final dot). Alone, each commit would take the connection in
/// turn; here a thread that finds no commit under way leads: it takes every transaction
/// waiting, runs each in a savepoint of one transaction (so one that throws undoes only its
/// own changes), commits, and wakes the others. Every caller returns only after the commit
/// that holds its changes, or with the error that lost them: each still sees its own
/// transaction committed before it goes on, as if it had run alone.
final class GroupCommit: @unchecked Sendable {
    /// One caller's transaction, waiting to run.
    final class Ticket {
        /// The caller's work (it keeps its result itself); dropped before `done` is set, so
        /// that nothing holds the caller's closure once the caller goes on.
        var body: ((any SQLExecutor) throws(QueueError) -> Void)?
        /// Set by the leader once the commit (or its failure) is known.
        fileprivate(set) var done = false
        /// The error that lost this ticket's changes, if any.
        fileprivate(set) var error: QueueError?

        init(_ body: @escaping (any SQLExecutor) throws(QueueError) -> Void) { self.body = body }
    }

    /// Runs several tickets in one transaction: each ticket's `body` is called once at most;
    /// the result says, for each, the error that lost its changes (nil: committed).
    typealias Runner = ([Ticket]) -> [QueueError?]

    private let condition = NSCondition()
    private var waiting: [Ticket] = []
    private var leading = false

    /// How many transactions wait for a group (for tests).
    var waitingCount: Int { condition.withLock { waiting.count } }
    /// The most transactions one group has held so far (for tests).
    var largestGroup: Int { condition.withLock { largest } }
    private var largest = 0

    /// Runs `ticket` in the next group and returns once that group has committed or failed.
    /// - Throws: the ticket's own error, or the group's when the transaction failed.
    func run(_ ticket: Ticket, with runner: Runner) throws(QueueError) {
        condition.lock()
        waiting.append(ticket)
        while !ticket.done {
            if leading {
                condition.wait()
                continue
            }
            leading = true
            let group = waiting
            waiting.removeAll(keepingCapacity: true)
            largest = max(largest, group.count)
            condition.unlock()
            let errors = runner(group)
            condition.lock()
            for (index, member) in group.enumerated() {
                member.body = nil
                member.error = index < errors.count ? errors[index] : QueueError(.database, field: "SQLite", reason: "a grouped transaction had no outcome")
                member.done = true
            }
            leading = false
            condition.broadcast()
        }
        condition.unlock()
        if let error = ticket.error { throw error }
    }
}
