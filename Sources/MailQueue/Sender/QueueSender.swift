import Foundation
import Logging
import MailMessage
import SMTPConversation

/// QueueSender is the resident sender (Nablarch's MailSender): it claims due requests under a
/// lease, sends each through SMTPConversation, and records the outcome exactly once:
///
/// 1. the request is marked `uncertain` right before the final `.`, and `sent` right after
///    the 250: a sender killed before the mark leaves a request that is safely sent again
///    (its lease expires), one killed between leaves it `uncertain`, never resent silently;
/// 2. every mark names the lease owner, so a sender that lost its claim sends no final `.`;
/// 3. 5xx and invalid requests fail, 4xx and network errors retry with backoff, a 421 or a
///    dropped connection only reopens the connection;
/// 4. a permanent error while opening the connection (TLS, AUTH) is a configuration error:
///    the sender stops, and the requests it claimed go back unsent, no attempt counted.
public final class QueueSender: @unchecked Sendable {
    /// Opens a store for one worker (each worker has its own database connection).
    public typealias StoreFactory = @Sendable () throws(QueueError) -> QueueStore

    let makeStore: StoreFactory
    let session: SMTPSession
    let options: SenderOptions
    let stop: StopSignal
    let logger: Logger
    /// The rate limit (`messagesPerMinute`); tests put one on a fake clock here before `run`.
    var limiter: RateLimiter?
    let progress: (@Sendable (SenderReport) -> Void)?
    private let lock = NSLock()
    private var total = SenderReport()
    /// What `progress` is shown: counted as outcomes happen, apart from `total`, which adds up
    /// the workers' reports when they end (counting both in one doubled every figure).
    private var shown = SenderReport()

    /// Creates a sender.
    /// - Parameters:
    ///   - store: opens a store per worker.
    ///   - settings: the SMTP server and limits.
    ///   - options: batch, lease, pattern, retry, once/daemon.
    ///   - stop: raised to stop after the message in flight.
    ///   - progress: called after each request with the totals so far.
    /// - Throws: `QueueError.configuration` when the credentials cannot be resolved.
    public init(store: @escaping StoreFactory, settings: SMTPSettings, options: SenderOptions = SenderOptions(),
                stop: StopSignal = StopSignal(), logger: Logger = Logger(label: "mail-queue.sender"),
                progress: (@Sendable (SenderReport) -> Void)? = nil) throws(QueueError) {
        self.makeStore = store
        self.session = try SMTPSession(settings: settings)
        self.options = options
        self.stop = stop
        self.logger = logger
        self.limiter = settings.messagesPerMinute.map { RateLimiter(perMinute: $0) }
        self.progress = progress
    }

    /// Purge batches a daemon runs at one idle moment before looking for due requests again.
    static let purgeBatchesPerIdle = 50

    /// Bytes of bodies and attachments a worker reads ahead from its claimed batch.
    static let batchByteBudget = 8 << 20

    /// A claim owner id unique to this process and worker.
    static func ownerID(worker: Int) -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid()):\(worker):\(RequestID.make().suffix(8))"
    }

    /// Runs the workers (one per connection) until nothing is due (`once`) or `stop` is raised.
    /// - Returns: the totals.
    /// - Throws: `QueueError` when a worker's database fails.
    public func run() throws(QueueError) -> SenderReport {
        let count = max(1, session.settings.connections)
        let group = DispatchGroup()
        let failures = NSLock()
        nonisolated(unsafe) var firstError: QueueError?
        for worker in 0..<count {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                do throws(QueueError) {
                    let report = try workRecovering(worker: worker)
                    lock.withLock { total.add(report) }
                } catch {
                    failures.withLock { if firstError == nil { firstError = error } }
                    stop.stop()
                }
            }
            thread.start()
        }
        group.wait()
        if let firstError { throw firstError }
        return lock.withLock { total }
    }

    private func note(_ change: (inout SenderReport) -> Void) {
        guard let progress else { return }
        let snapshot = lock.withLock { () -> SenderReport in
            change(&shown)
            return shown
        }
        progress(snapshot)
    }

    /// One worker: claim, send, record, until done.
    func work(worker: Int) throws(QueueError) -> SenderReport {
        let store = try makeStore()
        let owner = Self.ownerID(worker: worker)
        var report = SenderReport()
        var connection: SMTPConnection?
        var onConnection = 0
        // Requests whose 250 came and that are not yet marked sent: the mark goes with the
        // next write (the next message's uncertain mark, any other outcome, the next claim, or
        // the end), one commit per message instead of two. Until then such a request reads
        // "uncertain", which is never resent silently.
        var sent: [SentMark] = []
        // A request whose envelope went out behind the previous final dot (PIPELINING).
        var ahead: Ahead?
        // Builds and encodes the messages of what was read on another thread, when a core
        // would otherwise be idle (fewer connections than cores).
        var preparer: Preparer?
        // When worker 0 next purges finished requests (with a retention policy).
        var purgeAt: Int64 = 0
        let prepareAhead = max(1, session.settings.connections) < ProcessInfo.processInfo.activeProcessorCount
        let idle = IdleWait(wakeUp: options.wakeUp, stop: stop)
        defer {
            preparer?.cancel()
            if let connection { _ = try? connection.quit(); connection.closeConnection() }
        }
        batches: while !stop.isStopped {
            preparer?.cancel()
            preparer = nil
            try store.markSent(sent, owner: owner)
            sent.removeAll()
            let ids = try store.claim(owner: owner, limit: options.batchSize, leaseMillis: options.leaseMillis,
                                      pattern: options.pattern, resendUncertain: options.resendUncertain,
                                      relayed: .sender(secret: session.settings.secret))
            options.metrics?.beat(claimed: true)
            if ids.isEmpty {
                if options.once { break }
                if let open = connection { _ = try? open.quit(); open.closeConnection(); connection = nil }
                // Worker 0 purges while idle, a bounded number of batches at a time.
                if worker == 0, let policy = options.retention, !policy.isEmpty, store.now() >= purgeAt {
                    let purged = try store.purge(policy, maxBatches: Self.purgeBatchesPerIdle)
                    if purged.total > 0 {
                        logger.info("purged finished requests", metadata: [
                            "removed": "\(purged.total)", "longest-batch-ms": "\(Int(purged.longestBatchMillis))"])
                    }
                    // More to do: again at the next idle moment; else in a minute.
                    purgeAt = purged.complete ? store.now() + 60_000 : store.now()
                    if !purged.complete { continue }
                }
                idle.wait(upTo: options.idlePollSeconds)
                continue
            }
            // The batch is read in one transaction (a few at a time when attachments are large).
            var loaded: [String: RequestDetails] = [:]
            // The claims are renewed once half the lease has passed, so that a batch slower
            // than its lease (a rate limit, a slow server) is not taken over while it is sent.
            var renewAt = store.now() + options.leaseMillis / 2
            for (index, id) in ids.enumerated() {
                if let pending = ahead, pending.id != id || connection?.isClosed ?? true {
                    // Never expected: replies outstanding for another request. Without its
                    // final dot the server drops that transaction with the connection.
                    connection?.closeConnection()
                    connection = nil
                    ahead = nil
                }
                // A request whose envelope is out is in flight: it is finished first.
                if stop.isStopped && ahead == nil {
                    try store.release(Array(ids[index...]), owner: owner)
                    break batches
                }
                options.metrics?.beat()
                if store.now() >= renewAt {
                    try store.renew(Array(ids[index...]), owner: owner, leaseMillis: options.leaseMillis)
                    renewAt = store.now() + options.leaseMillis / 2
                }
                if let limit = session.settings.messagesPerConnection, onConnection >= limit, let open = connection {
                    _ = try? open.quit()
                    open.closeConnection()
                    connection = nil
                }
                if connection == nil {
                    do throws(SMTPError) {
                        connection = try session.open()
                        onConnection = 0
                        options.metrics?.connection(succeeded: true)
                    } catch {
                        options.metrics?.connection(succeeded: false)
                        // Not this request's fault: every claimed one goes back with the error.
                        let text = "connect: \(error.reply?.singleLine ?? error.description)"
                        logger.error("cannot open an SMTP session", metadata: ["error": "\(TerminalText.escaped("\(text)"))"])
                        if error.isPermanent {
                            // A configuration error (cleartext AUTH refused, TLS required but not
                            // offered, credentials refused, the server refusing us): no retry fixes
                            // it, so no attempt is spent on it.
                            try giveBack(ids[index...], error: text, store: store, owner: owner, sent: &sent, report: &report)
                            break batches
                        }
                        for rest in ids[index...] {
                            var attempts = loaded[rest]?.attempts ?? 0
                            if loaded[rest] == nil { attempts = try store.details([rest], byteBudget: 0).first?.attempts ?? 0 }
                            try record(.retry(text), id: rest, attempts: attempts, store: store, owner: owner,
                                       sent: &sent, report: &report)
                        }
                        if options.once { break batches }
                        stop.wait(seconds: options.idlePollSeconds)
                        continue batches
                    }
                }
                if loaded[id] == nil {
                    let read = try store.details(ids[index...], byteBudget: Self.batchByteBudget)
                    for details in read { loaded[details.request.id] = details }
                    preparer?.cancel()
                    preparer = nil
                    if prepareAhead, read.count > 1, let open = connection {
                        preparer = Preparer(requests: read.map(\.request), encoding: Self.encoding(for: open.capabilities))
                    }
                }
                guard let details = loaded.removeValue(forKey: id) else {
                    logger.warning("a claimed request is gone from the database", metadata: ["id": "\(id)"])
                    continue
                }
                // The next request rides behind this one's final dot when it is read already
                // and nothing (a rate limit, the per-connection limit, a stop) comes between.
                var next: StoredRequest?
                if limiter == nil, !stop.isStopped, index + 1 < ids.count,
                   session.settings.messagesPerConnection.map({ onConnection + 1 < $0 }) ?? true
                {
                    next = loaded[ids[index + 1]]?.request
                }
                // The rate's slot is taken last, right before MAIL: a slow connect or read
                // between the slot and the message would let messages bunch up in a minute.
                if let limiter {
                    // (Outside the optional chain: `metrics?.f(x)` does not evaluate x when metrics is nil.)
                    let waited = limiter.acquire(stop: stop)
                    options.metrics?.rateLimitWait(seconds: waited)
                    // A stop during the wait: the slot was not reached, the message is not sent.
                    if stop.isStopped && ahead == nil {
                        try store.release(Array(ids[index...]), owner: owner)
                        break batches
                    }
                }
                let started = DispatchTime.now().uptimeNanoseconds
                let outcome = try deliver(details.request, next: next, ahead: &ahead, on: &connection, store: store,
                                          owner: owner, sent: &sent, preparer: preparer)
                if connection?.isClosed ?? true { ahead = nil }
                onConnection += 1
                if let outcome, case .configuration(let text) = outcome.0 {
                    // 530 "authentication required" to MAIL: the settings lack AUTH, and every
                    // request would be refused the same way. Nothing of this one was sent.
                    logger.error("the server requires authentication", metadata: ["error": "\(text)"])
                    connection?.closeConnection()
                    connection = nil
                    ahead = nil
                    try giveBack(ids[index...], error: text, store: store, owner: owner, sent: &sent, report: &report)
                    break batches
                }
                if let outcome {
                    options.metrics?.observeSend(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                    try record(outcome.0, id: id, attempts: details.attempts, store: store, owner: owner,
                               refused: outcome.1, sent: &sent, report: &report, details: details)
                } else {
                    report.lost += 1
                }
            }
        }
        try store.markSent(sent, owner: owner)
        return report
    }

    /// Gives claimed requests back after a configuration error: as they were (unsent, due as
    /// before, the attempt their claim counted undone), with `error` as the reason they wait.
    func giveBack(_ ids: ArraySlice<String>, error: String, store: QueueStore, owner: String, sent: inout [SentMark],
                  report: inout SenderReport) throws(QueueError) {
        try store.markSent(sent, owner: owner)
        sent.removeAll()
        try store.release(Array(ids), owner: owner, error: error)
        report.configurationError = error
        report.heldBack += ids.count
    }

    /// Records `outcome` for `id`.
    func record(_ outcome: DeliveryOutcome, id: String, attempts: Int, store: QueueStore, owner: String,
                refused: String? = nil, sent: inout [SentMark], report: inout SenderReport,
                details: RequestDetails? = nil) throws(QueueError) {
        if case .sent = outcome {
            sent.append(SentMark(id: id, refused: refused, bounce: refused.flatMap {
                deliveryReport(for: id, details: details, error: $0, refused: $0, onlyRefused: true, store: store)
            }))
        } else {
            try store.markSent(sent, owner: owner)
            sent.removeAll()
        }
        options.metrics?.count(outcome, retried: options.retry.allowsAnother(afterAttempts: attempts))
        switch outcome {
        case .sent:
            report.sent += 1
            if let refused {
                report.partlyRefused += 1
                logger.warning("sent, but some recipients were refused", metadata: ["id": "\(id)", "refused": "\(TerminalText.escaped("\(refused)"))"])
            }
            note { $0.sent += 1; if refused != nil { $0.partlyRefused += 1 } }
        case .configuration(let error):
            try giveBack([id], error: error, store: store, owner: owner, sent: &sent, report: &report)
        case .failed(let error):
            logger.error("request failed", metadata: ["id": "\(id)", "error": "\(TerminalText.escaped("\(error)"))"])
            try markFailed(id, details: details, error: error, refused: refused, store: store, owner: owner)
            report.failed += 1
            note { $0.failed += 1 }
        case .retry(let error):
            if options.retry.allowsAnother(afterAttempts: attempts) {
                let delay = options.retry.delay(afterAttempts: attempts, random: options.random())
                try store.markRetry(id, owner: owner, nextAttemptAt: store.now() + delay, error: error, refused: refused)
                report.retried += 1
                note { $0.retried += 1 }
            } else {
                try markFailed(id, details: details, error: "gave up after \(attempts) attempts: \(error)", refused: refused,
                               store: store, owner: owner)
                report.failed += 1
                note { $0.failed += 1 }
            }
        case .uncertain(let error):
            logger.warning("delivery uncertain", metadata: ["id": "\(id)", "error": "\(TerminalText.escaped("\(error)"))"])
            try store.noteUncertain(id, owner: owner, error: error)
            report.uncertain += 1
            note { $0.uncertain += 1 }
        }
    }
}
