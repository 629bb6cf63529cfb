import Foundation

/// SenderMetrics counts what a running sender does, for `/metrics`: sends by outcome and reply
/// class, retries, send latency, SMTP connections, rate-limit waits, the wallet's last check
/// and its certificates' days left, and the worker loop's heartbeat that `/healthz` and the
/// systemd watchdog read. Every method is cheap and thread-safe; the workers call them as
/// things happen (`SenderOptions.metrics`).
public final class SenderMetrics: @unchecked Sendable {
    /// The upper bounds (seconds) of the send latency histogram's buckets.
    public static let latencyBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// One certificate of the wallet: its subject and the whole days until it expires
    /// (negative once expired).
    public struct Certificate: Sendable, Equatable {
        /// The certificate's subject.
        public var subject: String
        /// Days until it expires.
        public var daysLeft: Int

        /// Creates a certificate line.
        public init(subject: String, daysLeft: Int) {
            self.subject = subject
            self.daysLeft = daysLeft
        }
    }

    /// A copy of every figure, taken under the lock.
    public struct Snapshot: Sendable, Equatable {
        /// Sends by outcome (`sent`, `retry`, `failed`, `uncertain`) and reply class (`2xx`,
        /// `4xx`, `5xx`, `none` when no reply came).
        public var sends: [SendKey: Int] = [:]
        /// Requests put back for a later attempt.
        public var retries = 0
        /// Cumulative counts per bucket of `latencyBuckets`, then the `+Inf` one.
        public var latencyBuckets: [Int] = Array(repeating: 0, count: SenderMetrics.latencyBuckets.count + 1)
        /// Sum of the send latencies (seconds).
        public var latencySum = 0.0
        /// SMTP connections opened, and attempts that failed.
        public var connectionsOpened = 0, connectionFailures = 0
        /// Waits for the rate limit, and the seconds spent in them.
        public var rateLimitWaits = 0, rateLimitWaitSeconds = 0.0
        /// When the wallet was last checked (seconds since 1970), if ever.
        public var walletCheckedAt: Double?
        /// The wallet's certificates as of that check.
        public var certificates: [Certificate] = []
        /// When a worker loop last went round (seconds since 1970), if ever.
        public var lastBeat: Double?
        /// Claims the workers made (each a round trip to the database, whether it found work or not).
        public var claims = 0
    }

    /// SendKey labels a send: its outcome and the class of the reply that decided it.
    public struct SendKey: Sendable, Hashable, Comparable {
        /// `sent`, `retry`, `failed` or `uncertain`.
        public var outcome: String
        /// `2xx`, `4xx`, `5xx`, or `none`.
        public var replyClass: String

        /// Orders by outcome, then reply class (for a stable exposition).
        public static func < (a: SendKey, b: SendKey) -> Bool { (a.outcome, a.replyClass) < (b.outcome, b.replyClass) }
    }

    private let lock = NSLock()
    private var figures = Snapshot()
    private let clock: @Sendable () -> Double

    /// Creates an empty set of figures.
    /// - Parameter clock: seconds since 1970 (the real time by default; tests inject one).
    public init(clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.clock = clock
    }

    /// The figures now.
    public var snapshot: Snapshot { lock.withLock { figures } }

    /// Notes that a worker loop went round: `claimed` after a claim (found work or not), else
    /// at another step (before a message; at start-up).
    public func beat(claimed: Bool = false) {
        let now = clock()
        lock.withLock {
            figures.lastBeat = now
            if claimed { figures.claims += 1 }
        }
    }

    /// Seconds since a worker loop last went round; nil before the first round.
    public func secondsSinceBeat() -> Double? {
        let now = clock()
        return lock.withLock { figures.lastBeat.map { now - $0 } }
    }

    /// Counts one recorded outcome. `retried` is false when a retry was not allowed another
    /// attempt (the request failed).
    func count(_ outcome: DeliveryOutcome, retried: Bool) {
        let key: SendKey
        switch outcome {
        case .sent: key = SendKey(outcome: "sent", replyClass: "2xx")
        case .retry(let text): key = SendKey(outcome: retried ? "retry" : "failed", replyClass: Self.replyClass(text))
        case .failed(let text): key = SendKey(outcome: "failed", replyClass: Self.replyClass(text))
        case .uncertain(let text): key = SendKey(outcome: "uncertain", replyClass: Self.replyClass(text))
        case .configuration: return  // given back unsent: not a send
        }
        lock.withLock {
            figures.sends[key, default: 0] += 1
            if key.outcome == "retry" { figures.retries += 1 }
        }
    }

    /// Counts the time one request took from its claim's turn to its outcome.
    func observeSend(seconds: Double) {
        lock.withLock {
            for (index, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { figures.latencyBuckets[index] += 1 }
            figures.latencyBuckets[Self.latencyBuckets.count] += 1
            figures.latencySum += seconds
        }
    }

    /// Counts an SMTP connection opened (`succeeded`) or that could not be.
    func connection(succeeded: Bool) {
        lock.withLock { if succeeded { figures.connectionsOpened += 1 } else { figures.connectionFailures += 1 } }
    }

    /// Counts a wait for the rate limit.
    func rateLimitWait(seconds: Double) {
        guard seconds > 0 else { return }
        lock.withLock {
            figures.rateLimitWaits += 1
            figures.rateLimitWaitSeconds += seconds
        }
    }

    /// Records a wallet check and the certificates it found.
    public func walletChecked(_ certificates: [Certificate]) {
        let now = clock()
        lock.withLock {
            figures.walletCheckedAt = now
            figures.certificates = certificates
        }
    }

    /// The class of the reply a recorded outcome's text quotes (`MAIL FROM: 550 5.1.1 …` →
    /// `5xx`), as `RecordedReply` reads it; `none` when it quotes none (a timeout, a dropped
    /// connection).
    static func replyClass(_ text: String) -> String {
        RecordedReply.parse(text).map { "\($0.code / 100)xx" } ?? "none"
    }
}
