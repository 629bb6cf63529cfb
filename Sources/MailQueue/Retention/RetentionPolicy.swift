/// RetentionPolicy says how long finished requests are kept: sent ones and failed ones each
/// for their own time (nil: kept for ever). Requests that are unsent, being sent, delivery
/// uncertain or held are never purged by it.
public struct RetentionPolicy: Sendable, Hashable {
    /// How long a sent request is kept after it was sent, in ms (nil: for ever).
    public var sentMillis: Int64?
    /// How long a failed (or cancelled) request is kept after it finished, in ms (nil: for ever).
    public var failedMillis: Int64?
    /// Rows deleted per transaction: small, so that a purge never holds the write lock long.
    public var batchSize: Int

    /// Creates a policy.
    public init(sentMillis: Int64? = nil, failedMillis: Int64? = nil, batchSize: Int = 200) {
        self.sentMillis = sentMillis
        self.failedMillis = failedMillis
        self.batchSize = max(1, batchSize)
    }

    /// True when the policy purges nothing.
    public var isEmpty: Bool { sentMillis == nil && failedMillis == nil }

    /// The statuses purged, each with the age past which a request in it goes.
    var rules: [(status: RequestStatus, millis: Int64)] {
        var rules: [(RequestStatus, Int64)] = []
        if let sentMillis { rules.append((.sent, sentMillis)) }
        if let failedMillis { rules += [(.failed, failedMillis), (.cancelled, failedMillis)] }
        return rules
    }
}

/// PurgeReport is what a purge did (or, for a dry run, would do).
public struct PurgeReport: Sendable, Hashable {
    /// Requests removed (or that would be), by status.
    public var removed: [RequestStatus: Int] = [:]
    /// Transactions run (deleting rows, or giving SQLite's free pages back).
    public var batches = 0
    /// The longest one batch took, in ms, from asking for the transaction until its commit
    /// returned (in SQLite this includes a WAL checkpoint run after the commit, without the lock).
    public var longestBatchMillis: Double = 0
    /// Database pages given back to the file system (SQLite's incremental vacuum; 0 elsewhere).
    public var pagesFreed = 0
    /// False when the purge stopped at its batch limit with old requests left (the daemon's
    /// purge goes on at its next idle moment).
    public var complete = true

    /// Creates an empty report.
    public init() {}

    /// Requests removed in all.
    public var total: Int { removed.values.reduce(0, +) }
}
