/// RetryPolicy decides when a transient failure is tried again: exponential backoff with
/// jitter, up to `maxAttempts` attempts, then the request fails.
public struct RetryPolicy: Sendable {
    /// The most attempts (the first one included).
    public var maxAttempts: Int
    /// The delay after the first failure, in milliseconds.
    public var baseDelayMillis: Int64
    /// The longest delay, in milliseconds.
    public var maxDelayMillis: Int64
    /// The fraction of the delay drawn at random (0.2: ±20 %), so senders do not retry in step.
    public var jitter: Double

    /// Creates a policy; by default 8 attempts, 1 minute doubling up to 1 hour, ±20 %.
    public init(maxAttempts: Int = 8, baseDelayMillis: Int64 = 60_000, maxDelayMillis: Int64 = 3_600_000, jitter: Double = 0.2) {
        self.maxAttempts = maxAttempts
        self.baseDelayMillis = baseDelayMillis
        self.maxDelayMillis = maxDelayMillis
        self.jitter = jitter
    }

    /// The delay before attempt `attempts + 1`, after `attempts` failed ones.
    /// - Parameter random: a value in 0..<1 (injected for tests).
    public func delay(afterAttempts attempts: Int, random: Double) -> Int64 {
        let exponent = max(0, min(attempts - 1, 40))
        let plain = min(Double(maxDelayMillis), Double(baseDelayMillis) * pow2(exponent))
        let factor = 1 + jitter * (2 * random - 1)
        return max(0, Int64(plain * factor))
    }

    /// True when another attempt is allowed after `attempts`.
    public func allowsAnother(afterAttempts attempts: Int) -> Bool { attempts < maxAttempts }

    private func pow2(_ n: Int) -> Double {
        var value = 1.0
        for _ in 0..<n { value *= 2 }
        return value
    }
}
