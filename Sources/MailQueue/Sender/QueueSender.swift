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

    /// Runs the workers (one `SenderWorker` per connection) until nothing is due (`once`) or `stop` is raised.
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

    /// One worker (`SenderWorker`): claim, send, record, until done.
    func work(worker: Int) throws(QueueError) -> SenderReport {
        var sending = try SenderWorker(sender: self, number: worker)
        return try sending.run()
    }

    /// Counts an outcome in what `progress` is shown, and shows it.
    func note(_ change: (inout SenderReport) -> Void) {
        guard let progress else { return }
        let snapshot = lock.withLock { () -> SenderReport in
            change(&shown)
            return shown
        }
        progress(snapshot)
    }
}
