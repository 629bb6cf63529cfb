import Foundation
import Logging
import SMTPConversation

/// SenderWorker is one of a `QueueSender`'s workers: its own database connection, at most one
/// SMTP connection, and the requests it has claimed. Its state is its fields; each step of its
/// loop is a method short enough to read at once:
///
/// - `claimBatch()` claims due requests under a lease (after `flush()` has written the pending
///   sent marks);
/// - `send(batch:)` goes through them with `sendOne(at:of:)`: `paceSend()` (the one place a
///   request waits for its turn), `renewClaims`, `ensureConnection`, `load`, `deliver` (one
///   request in, one `DeliveryResult` out), `record`;
/// - `waitForWork()` is the one place an idle worker waits (and worker 0 purges).
///
/// Exactly once (see `QueueSender`): the uncertain mark is written right before each final dot
/// (`deliver`), the sent mark after the 250 rides with the next write (`sent`, `flush()`).
struct SenderWorker {
    /// What the loop does after a step.
    enum Next: Equatable {
        /// Go on with the next request of the batch.
        case proceed
        /// Leave the batch and claim again.
        case endBatch
        /// Leave the loop: stopped, or a configuration error.
        case stop
    }

    /// The requests claimed together, and what is read of them so far.
    struct Batch {
        /// The claimed ids, in the order they are sent.
        let ids: [String]
        /// Requests read and not yet sent (a few at a time when attachments are large).
        var loaded: [String: RequestDetails] = [:]
        /// When the claims are renewed next: once half the lease has passed, so that a batch
        /// slower than its lease (a rate limit, a slow server) is not taken over while it is sent.
        var renewAt: Int64
    }

    let sender: QueueSender
    /// This worker's number (0 purges while idle).
    let number: Int
    let store: QueueStore
    /// The claim owner id every mark names.
    let owner: String
    /// What this worker did.
    var report = SenderReport()
    var connection: SMTPConnection?
    /// Messages sent on `connection` (for `messagesPerConnection`).
    var onConnection = 0
    /// Requests whose 250 came and that are not yet marked sent: the mark goes with the next
    /// write (the next message's uncertain mark, any other outcome, the next claim, or the end),
    /// one commit per message instead of two. Until then such a request reads "uncertain",
    /// which is never resent silently.
    var sent: [SentMark] = []
    /// The request whose envelope the connection sent behind the previous final dot
    /// (PIPELINING), as it was made.
    var ahead: Ahead?
    /// Builds and encodes the messages of what was read on another thread.
    var preparer: Preparer?
    /// When worker 0 next purges finished requests (with a retention policy).
    var purgeAt: Int64 = 0
    /// True when a preparer thread pays: fewer connections than cores, so a core would be idle.
    let prepareAhead: Bool
    /// How an idle worker waits: the poll interval, cut short by a wake-up on enqueue.
    let idle: IdleWait

    /// Creates worker `number` of `sender`, with a store of its own.
    /// - Throws: `QueueError` when the store cannot be opened.
    init(sender: QueueSender, number: Int) throws(QueueError) {
        self.sender = sender
        self.number = number
        store = try sender.makeStore()
        owner = QueueSender.ownerID(worker: number)
        prepareAhead = max(1, sender.session.settings.connections) < ProcessInfo.processInfo.activeProcessorCount
        // Made before the first claim, so that no wake-up after it is missed.
        idle = IdleWait(wakeUp: sender.options.wakeUp, stop: sender.stop)
    }

    var options: SenderOptions { sender.options }
    var logger: Logger { sender.logger }
    var stop: StopSignal { sender.stop }

    /// Claims, sends and records until nothing is due (`once`) or `stop` is raised.
    /// - Returns: what this worker did.
    /// - Throws: `QueueError` when the database fails.
    mutating func run() throws(QueueError) -> SenderReport {
        defer { shutDown() }
        while !stop.isStopped {
            let ids = try claimBatch()
            if ids.isEmpty {
                if options.once { break }
                try waitForWork()
                continue
            }
            if try send(batch: ids) == .stop { break }
        }
        try flush()
        return report
    }

    /// Claims the next batch of due requests, after writing the pending sent marks.
    mutating func claimBatch() throws(QueueError) -> [String] {
        dropPreparer()
        try flush()
        let ids = try store.claim(owner: owner, limit: options.batchSize, leaseMillis: options.leaseMillis,
                                  pattern: options.pattern, resendUncertain: options.resendUncertain,
                                  relayed: .sender(secret: sender.session.settings.secret))
        options.metrics?.beat(claimed: true)
        return ids
    }

    /// Writes the pending sent marks.
    mutating func flush() throws(QueueError) {
        try store.markSent(sent, owner: owner)
        sent.removeAll()
    }

    /// Sends every request of a claimed batch, each with `sendOne(at:of:)`.
    /// - Returns: `.stop` when the loop ends, else what comes next.
    mutating func send(batch ids: [String]) throws(QueueError) -> Next {
        var batch = Batch(ids: ids, renewAt: store.now() + options.leaseMillis / 2)
        for index in ids.indices {
            let next = try sendOne(at: index, of: &batch)
            if next != .proceed { return next }
        }
        return .proceed
    }

    mutating func dropPreparer() {
        preparer?.cancel()
        preparer = nil
    }

    /// Closes the connection politely (QUIT) and forgets it.
    mutating func quitConnection() {
        if let open = connection {
            _ = try? open.quit()
            open.closeConnection()
        }
        connection = nil
    }

    /// Closes the connection at once (nothing outstanding on it is finished) and forgets it.
    mutating func dropConnection() {
        connection?.closeConnection()
        connection = nil
        ahead = nil
    }

    private mutating func shutDown() {
        dropPreparer()
        quitConnection()
    }
}
