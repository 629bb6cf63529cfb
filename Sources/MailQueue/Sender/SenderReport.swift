import Foundation

/// SenderReport counts what a sender did, for the exit status and the progress line.
public struct SenderReport: Sendable, Equatable {
    /// Requests sent (250 after the final `.`).
    public var sent = 0
    /// Requests failed for good.
    public var failed = 0
    /// Requests put back for a later attempt.
    public var retried = 0
    /// Requests left delivery-uncertain.
    public var uncertain = 0
    /// Requests whose claim was lost to another sender (not sent, not recorded by us).
    public var lost = 0
    /// Requests sent to some of their recipients only (counted in `sent` too): the others were
    /// refused, and are recorded with the request (`show ID`).
    public var partlyRefused = 0
    /// A connection-stage error that no retry will fix (TLS, AUTH, the server refusing us).
    public var configurationError: String?
    /// Requests claimed and given back unsent because of `configurationError`: not attempted,
    /// their attempts not counted, due as before.
    public var heldBack = 0

    /// Creates an empty report.
    public init() {}

    /// True when every request claimed ended sent.
    public var allSent: Bool { failed == 0 && retried == 0 && uncertain == 0 && configurationError == nil }

    /// Adds `other`'s counts to these (a daemon's runs between reloads, a sender's workers).
    public mutating func add(_ other: SenderReport) {
        sent += other.sent
        failed += other.failed
        retried += other.retried
        uncertain += other.uncertain
        lost += other.lost
        partlyRefused += other.partlyRefused
        heldBack += other.heldBack
        configurationError = configurationError ?? other.configurationError
    }
}

/// SenderOptions tune a sender run.
public struct SenderOptions: Sendable {
    /// Requests claimed at a time per worker.
    public var batchSize: Int
    /// How long a claim lasts; a sender that dies holding one loses it after this.
    public var leaseMillis: Int64
    /// Only requests of this send pattern (Nablarch's mailSendPatternId).
    public var pattern: String?
    /// Also claim delivery-uncertain requests and send them again (the user's choice).
    public var resendUncertain: Bool
    /// Retry and backoff.
    public var retry: RetryPolicy
    /// Stop when nothing is due (`send --once`); otherwise wait for more (`--daemon`).
    public var once: Bool
    /// Seconds between polls when idle (daemon).
    public var idlePollSeconds: Double
    /// A value in 0..<1 for jitter (injected in tests).
    public var random: @Sendable () -> Double
    /// Daemon: finished requests removed when idle (`retention-sent`, `retention-failed`), a
    /// few small batches at each idle moment; nil keeps everything.
    public var retention: RetentionPolicy?
    /// Where the workers count what they do for `/metrics` and `/healthz`; nil counts nothing.
    public var metrics: SenderMetrics?
    /// `--bounce`: a relayed request that fails for good gets a delivery status notification
    /// (RFC 3464) made by this builder, queued back to its envelope sender; nil sends none.
    public var bounce: DeliveryReport?
    /// Daemon: wakes idle workers when a request is enqueued (`WakeUp.listen`); nil: they only poll.
    public var wakeUp: WakeUp?

    /// Creates options.
    public init(batchSize: Int = 20, leaseMillis: Int64 = 300_000, pattern: String? = nil, resendUncertain: Bool = false,
                retry: RetryPolicy = RetryPolicy(), once: Bool = true, idlePollSeconds: Double = 2,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.batchSize = batchSize
        self.leaseMillis = leaseMillis
        self.pattern = pattern
        self.resendUncertain = resendUncertain
        self.retry = retry
        self.once = once
        self.idlePollSeconds = idlePollSeconds
        self.random = random
    }
}
