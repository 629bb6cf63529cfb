/// SenderStatements are the statements a sender runs: claim due requests under a lease, read
/// them, and record each outcome. Every mark names the lease owner and the status it expects,
/// so a sender whose lease was taken over changes nothing (and must not send the final `.`).
public struct SenderStatements: Sendable {
    /// The dialect.
    public let dialect: SQLDialect
    /// The names.
    public let schema: QueueSchema

    /// The texts of the two marks every message makes, built once: interpolating the quoted
    /// names anew for each message showed in a sender's profile.
    private let markUncertainSQL: SQLStatement
    private let markSentSQL: SQLStatement

    /// Creates the builder.
    public init(dialect: SQLDialect, schema: QueueSchema = QueueSchema()) {
        self.dialect = dialect
        self.schema = schema
        let r = schema.requests
        markUncertainSQL = SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ? WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ? AND \(q(r.status)) = ?
            """)
        markSentSQL = SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.sentAt)) = ?, \(q(r.finishedAt)) = ?, \
            \(q(r.refused)) = ?, \(q(r.lastError)) = NULL, \
            \(q(r.leaseOwner)) = NULL, \(q(r.leaseUntil)) = NULL WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ?
            """)
    }

    private var r: QueueSchema.Requests { schema.requests }

    /// The due requests, one scan each: unsent and due, one scan per priority in `priorities`;
    /// with `others`, claimed under an expired lease, and with `resendUncertain` uncertain and
    /// not in flight (a sender marks a request uncertain before its dot and keeps the claim
    /// until the 250 is recorded). Each unsent scan reads the claim index (`(priority DESC,
    /// next attempt at, id)` of unsent requests) as a range at one priority that ends at `now`,
    /// and stops at the batch size: one `WHERE … OR …` over every status made the database read
    /// and sort every due request at each claim (11 ms per claim with 20,000 queued), and one
    /// scan of every priority read past each request not yet due at a higher priority than
    /// those it took (17-37 ms with 95,000 scheduled ahead). The other scans read the few
    /// in-flight rows by status.
    private func dueScans(now: Int64, priorities: [Int], others: Bool, pattern: String?, resendUncertain: Bool,
                          relayed: RelayedClaim) -> [DueScan] {
        let unsent = dueUnsent(now: now, pattern: pattern, relayed: relayed)
        var parts = priorities.map { unsent.and("\(q(r.priority)) = ?", [.integer(Int64($0))]) }
        guard others else { return parts }
        parts.append(filtered(DueScan(condition: "\(q(r.status)) = ? AND \(q(r.leaseUntil)) < ?",
                                      values: [.text(RequestStatus.sending.rawValue), .integer(now)]),
                              pattern: pattern, relayed: relayed))
        if resendUncertain {
            parts.append(filtered(DueScan(condition: "\(q(r.status)) = ? AND (\(q(r.leaseOwner)) IS NULL OR \(q(r.leaseUntil)) < ?)",
                                          values: [.text(RequestStatus.uncertain.rawValue), .integer(now)]),
                                  pattern: pattern, relayed: relayed))
        }
        return parts
    }

    /// Unsent requests that are due, with the sender's filters.
    private func dueUnsent(now: Int64, pattern: String?, relayed: RelayedClaim) -> DueScan {
        filtered(DueScan(condition: SchemaStatements.unsentCondition(r) + " AND \(q(r.nextAttemptAt)) <= ?", values: [.integer(now)],
                         readsClaimIndex: true), pattern: pattern, relayed: relayed)
    }

    /// `scan` with the sender's filters (`pattern`, `relayed`) added.
    private func filtered(_ scan: DueScan, pattern: String?, relayed: RelayedClaim) -> DueScan {
        var scan = scan
        if let pattern { scan = scan.and("\(q(r.patternID)) = ?", [.text(pattern)]) }
        guard let (condition, bound) = relayed.condition(raw: q(r.rawMessage), pattern: q(r.patternID)) else { return scan }
        return scan.and(condition, bound)
    }

    /// DueScan is one scan of a claim: its condition with its values, and whether it reads the
    /// claim index (SQLite is told so: without statistics its planner would rather sort the
    /// rows another index finds).
    private struct DueScan {
        var condition: String
        var values: [SQLValue]
        var readsClaimIndex = false

        func and(_ more: String, _ bound: [SQLValue]) -> DueScan {
            DueScan(condition: condition + " AND " + more, values: values + bound, readsClaimIndex: readsClaimIndex)
        }
    }

    /// ` INDEXED BY` the claim index on SQLite when `scan` reads it.
    private func hint(_ readsClaimIndex: Bool) -> String {
        readsClaimIndex && dialect == .sqlite ? " INDEXED BY \(q(SchemaStatements.claimIndex(r)))" : ""
    }

    /// Up to `limit` priorities of unsent requests (below `below`, when given), highest first,
    /// each with how many are due (counted up to `limit`; 0 when none is): step 1 of a claim,
    /// which then scans the first of them until their counts fill the batch. The priorities
    /// are found by skipping through the claim index (one probe each; at most 2,001 exist, by
    /// `RequestPreparer.priorities`), and each count reads a range of it that ends at `now`.
    public func duePriorities(now: Int64, limit: Int, below: Int? = nil, pattern: String?,
                              relayed: RelayedClaim = .any) -> SQLStatement {
        let due = dueUnsent(now: now, pattern: pattern, relayed: relayed)
        let unsent = SchemaStatements.unsentCondition(r), from = "\(q(r.table))\(hint(true))"
        let first = below == nil ? "" : " AND \(q(r.priority)) < ?"
        return SQLStatement(dialect, """
            WITH RECURSIVE p(claim_priority) AS (\
            SELECT (SELECT \(q(r.priority)) FROM \(from) WHERE \(unsent)\(first) ORDER BY \(q(r.priority)) DESC LIMIT 1) \
            UNION ALL SELECT (SELECT \(q(r.priority)) FROM \(from) WHERE \(unsent) AND \(q(r.priority)) < p.claim_priority \
            ORDER BY \(q(r.priority)) DESC LIMIT 1) FROM p WHERE p.claim_priority IS NOT NULL) \
            SELECT claim_priority, (SELECT COUNT(*) FROM (SELECT 1 AS one FROM \(from) WHERE \(due.condition) \
            AND \(q(r.priority)) = p.claim_priority ORDER BY \(q(r.priority)) DESC, \(q(r.nextAttemptAt)) LIMIT ?) AS c) \
            FROM p WHERE claim_priority IS NOT NULL LIMIT ?
            """, (below.map { [.integer(Int64($0))] } ?? []) + due.values + [.integer(Int64(limit)), .integer(Int64(limit))])
    }

    /// Each scan as a sub-select of (claim_id, claim_priority, claim_due), highest priority
    /// first, then oldest due (the claim index's order), at most `limit`
    /// rows, with `locking` after it; and their values in order.
    private func scans(now: Int64, limit: Int, priorities: [Int], others: Bool, pattern: String?, resendUncertain: Bool,
                       relayed: RelayedClaim, locking: String = "") -> ([String], [SQLValue])
    {
        var selects: [String] = []
        var values: [SQLValue] = []
        for scan in dueScans(now: now, priorities: priorities, others: others, pattern: pattern,
                             resendUncertain: resendUncertain, relayed: relayed) {
            selects.append("""
                SELECT \(q(r.id)) AS claim_id, \(q(r.priority)) AS claim_priority, \(q(r.nextAttemptAt)) AS claim_due \
                FROM \(q(r.table))\(hint(scan.readsClaimIndex)) WHERE \(scan.condition) \
                ORDER BY \(q(r.priority)) DESC, \(q(r.nextAttemptAt)), \(q(r.id)) LIMIT ?\(locking)
                """)
            values += scan.values + [.integer(Int64(limit))]
        }
        return (selects, values)
    }

    /// SQLite, step 2 of a claim inside `BEGIN IMMEDIATE`: up to `limit` due requests of each
    /// scan (unsent and due at each of `priorities`; with `others`, claimed under an expired
    /// lease, or uncertain with `resendUncertain`): id, priority, due time. The caller keeps the
    /// first `limit` by priority, then due time (a merge in SQL sorted each scan's rows again).
    /// Nil when there is nothing to scan.
    public func dueIDs(now: Int64, limit: Int, priorities: [Int], others: Bool = true, pattern: String?,
                       resendUncertain: Bool = false, relayed: RelayedClaim = .any) -> SQLStatement? {
        let (selects, values) = scans(now: now, limit: limit, priorities: priorities, others: others, pattern: pattern,
                                      resendUncertain: resendUncertain, relayed: relayed)
        guard !selects.isEmpty else { return nil }
        return SQLStatement(dialect, selects.map { "SELECT * FROM (\($0))" }.joined(separator: " UNION ALL "), values)
    }

    /// SQLite, step 3: claims `ids` for `owner` until `leaseUntil`, counting an attempt.
    public func claim(ids: [String], owner: String, leaseUntil: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.leaseOwner)) = ?, \(q(r.leaseUntil)) = ?, \
            \(q(r.attempts)) = \(q(r.attempts)) + 1 WHERE \(q(r.id)) IN (\(marks(ids.count)))
            """, [.text(RequestStatus.sending.rawValue), .text(owner), .integer(leaseUntil)] + ids.map { .text($0) })
    }

    /// PostgreSQL, step 2 of a claim: claims up to `limit` due requests (as `dueIDs` chooses
    /// them) in one statement, skipping rows another sender has locked (`FOR UPDATE SKIP
    /// LOCKED`), and returns them as id, priority, due time, highest priority first, then
    /// oldest due. (Rows a scan locked but the merge left out stay locked, unchanged, until this
    /// statement's transaction ends.) Nil when there is nothing to scan.
    public func claimSkipLocked(now: Int64, limit: Int, priorities: [Int], others: Bool = true, owner: String,
                                leaseUntil: Int64, pattern: String?, resendUncertain: Bool = false,
                                relayed: RelayedClaim = .any) -> SQLStatement? {
        let (selects, values) = scans(now: now, limit: limit, priorities: priorities, others: others, pattern: pattern,
                                      resendUncertain: resendUncertain, relayed: relayed, locking: " FOR UPDATE SKIP LOCKED")
        guard !selects.isEmpty else { return nil }
        let ctes = selects.enumerated().map { "due_\($0.offset) AS (\($0.element))" }
        let union = selects.indices.map { "SELECT * FROM due_\($0)" }.joined(separator: " UNION ALL ")
        return SQLStatement(dialect, """
            WITH \(ctes.joined(separator: ", ")), picked AS (SELECT claim_id FROM (\(union)) AS due \
            ORDER BY claim_priority DESC, claim_due, claim_id LIMIT ?), claimed AS (\
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.leaseOwner)) = ?, \(q(r.leaseUntil)) = ?, \
            \(q(r.attempts)) = \(q(r.attempts)) + 1 WHERE \(q(r.id)) IN (SELECT claim_id FROM picked) \
            RETURNING \(q(r.id)) AS claim_id, \(q(r.priority)) AS claim_priority, \(q(r.nextAttemptAt)) AS claim_due) \
            SELECT claim_id, claim_priority, claim_due FROM claimed ORDER BY claim_priority DESC, claim_due, claim_id
            """, values + [.integer(Int64(limit)), .text(RequestStatus.sending.rawValue), .text(owner), .integer(leaseUntil)])
    }

    /// Reads several requests, in no particular order: id, pattern, from, reply-to,
    /// return-path, charset, subject, body, message id, status, attempts, requested at, sent at,
    /// last error, refused, lease owner, next attempt at, raw message, not before, priority.
    public func load(ids: [String]) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT \(q(r.id)), \(q(r.patternID)), \(q(r.from)), \(q(r.replyTo)), \(q(r.returnPath)), \(q(r.charset)), \
            \(q(r.subject)), \(q(r.body)), \(q(r.messageID)), \(q(r.status)), \(q(r.attempts)), \(q(r.requestedAt)), \
            \(q(r.sentAt)), \(q(r.lastError)), \(q(r.refused)), \(q(r.leaseOwner)), \(q(r.nextAttemptAt)), \(q(r.rawMessage)), \
            \(q(r.notBefore)), \(q(r.priority)) FROM \(q(r.table)) WHERE \(q(r.id)) IN (\(marks(ids.count)))
            """, ids.map { .text($0) })
    }

    /// Reads the recipients of several requests: request id, kind, address; each request's in order.
    public func recipients(ids: [String]) -> SQLStatement {
        let c = schema.recipients
        return SQLStatement(dialect, """
            SELECT \(q(c.requestID)), \(q(c.kind)), \(q(c.address)) FROM \(q(c.table)) \
            WHERE \(q(c.requestID)) IN (\(marks(ids.count))) ORDER BY \(q(c.requestID)), \(q(c.sequence))
            """, ids.map { .text($0) })
    }

    /// The attachment bytes of each of several requests that has any: request id, total bytes.
    public func attachmentSizes(ids: [String]) -> SQLStatement {
        let a = schema.attachments
        return SQLStatement(dialect, """
            SELECT \(q(a.requestID)), SUM(LENGTH(\(q(a.data)))) FROM \(q(a.table)) \
            WHERE \(q(a.requestID)) IN (\(marks(ids.count))) GROUP BY \(q(a.requestID))
            """, ids.map { .text($0) })
    }

    /// Placeholders for `count` values (the dialect's style is applied by `SQLStatement`).
    private func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// Reads a request's attachments in order: filename, content type, data.
    public func attachments(id: String) -> SQLStatement {
        let a = schema.attachments
        return SQLStatement(dialect, """
            SELECT \(q(a.filename)), \(q(a.contentType)), \(q(a.data)) FROM \(q(a.table)) \
            WHERE \(q(a.requestID)) = ? ORDER BY \(q(a.sequence))
            """, [.text(id)])
    }

    /// Marks a claimed request "delivery uncertain", right before the final `.` is sent.
    /// Changes one row only while `owner` still holds the claim; zero rows means: do not send.
    public func markUncertain(id: String, owner: String) -> SQLStatement {
        markUncertainSQL.binding([.text(RequestStatus.uncertain.rawValue), .text(id), .text(owner),
                                  .text(RequestStatus.sending.rawValue)])
    }

    /// Marks a request sent after the server's 250, recording refused recipients, if any.
    public func markSent(id: String, owner: String, now: Int64, refused: String?) -> SQLStatement {
        markSentSQL.binding([.text(RequestStatus.sent.rawValue), .integer(now), .integer(now), .optional(refused), .text(id), .text(owner)])
    }

    /// Puts a request back to unsent, not before `nextAttemptAt`, with the error recorded.
    public func markRetry(id: String, owner: String, nextAttemptAt: Int64, error: String, refused: String?) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.nextAttemptAt)) = ?, \(q(r.lastError)) = ?, \(q(r.refused)) = ?, \
            \(q(r.leaseOwner)) = NULL, \(q(r.leaseUntil)) = NULL WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ?
            """, [.text(RequestStatus.unsent.rawValue), .integer(nextAttemptAt), .text(error), .optional(refused), .text(id),
                  .text(owner)])
    }

    /// Marks a request failed for good at `now`, with the error (the server's reply) recorded.
    public func markFailed(id: String, owner: String, now: Int64, error: String, refused: String?) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.finishedAt)) = ?, \(q(r.lastError)) = ?, \(q(r.refused)) = ?, \
            \(q(r.leaseOwner)) = NULL, \(q(r.leaseUntil)) = NULL WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ?
            """, [.text(RequestStatus.failed.rawValue), .integer(now), .text(error), .optional(refused), .text(id), .text(owner)])
    }

    /// Records why a request is delivery-uncertain (the final `.` went out, no reply came back)
    /// and lets go of the claim; the status stays `uncertain`.
    public func noteUncertain(id: String, owner: String, error: String) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.lastError)) = ?, \(q(r.leaseOwner)) = NULL, \(q(r.leaseUntil)) = NULL \
            WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ? AND \(q(r.status)) = ?
            """, [.text(error), .text(id), .text(owner), .text(RequestStatus.uncertain.rawValue)])
    }

    /// Gives back a claimed request never started (a graceful stop, a configuration error):
    /// unsent, due when it was before, the attempt its claim counted undone; `error`, when
    /// given, recorded as the last error (why it was not sent).
    public func release(id: String, owner: String, error: String? = nil) -> SQLStatement {
        let lastError = error == nil ? "" : "\(q(r.lastError)) = ?, "
        return SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.attempts)) = \(q(r.attempts)) - 1, \(lastError)\
            \(q(r.leaseOwner)) = NULL, \(q(r.leaseUntil)) = NULL WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ? AND \(q(r.status)) = ?
            """, [.text(RequestStatus.unsent.rawValue)] + (error.map { [.text($0)] } ?? [])
                + [.text(id), .text(owner), .text(RequestStatus.sending.rawValue)])
    }

    /// Extends `owner`'s claim on a request it has not finished (still `sending`) until
    /// `leaseUntil`: a long batch (a rate limit, a slow server) keeps what it claimed.
    public func renew(id: String, owner: String, leaseUntil: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.leaseUntil)) = ? WHERE \(q(r.id)) = ? AND \(q(r.leaseOwner)) = ? AND \(q(r.status)) = ?
            """, [.integer(leaseUntil), .text(id), .text(owner), .text(RequestStatus.sending.rawValue)])
    }

    /// The earliest time after `now` an unsent request falls due (scheduled, or waiting for a
    /// retry), or NULL: what an idle sender waits for. One probe of the `(status, next attempt
    /// at)` index, whatever the number of rows.
    public func nextDue(after now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT MIN(\(q(r.nextAttemptAt))) FROM \(q(r.table)) WHERE \(q(r.status)) = ? AND \(q(r.nextAttemptAt)) > ?
            """, [.text(RequestStatus.unsent.rawValue), .integer(now)])
    }

    /// Unsent requests waiting for a retry (not due before `now`, and not scheduled for later
    /// than `now`): count, earliest next attempt.
    public func waiting(now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT COUNT(*), MIN(\(q(r.nextAttemptAt))) FROM \(q(r.table)) WHERE \(q(r.status)) = ? AND \(q(r.nextAttemptAt)) > ? \
            AND (\(q(r.notBefore)) IS NULL OR \(q(r.notBefore)) <= ?)
            """, [.text(RequestStatus.unsent.rawValue), .integer(now), .integer(now)])
    }

    /// Unsent requests scheduled for later than `now` (their `not_before`): count, earliest time.
    public func scheduled(now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT COUNT(*), MIN(\(q(r.nextAttemptAt))) FROM \(q(r.table)) WHERE \(q(r.status)) = ? AND \(q(r.nextAttemptAt)) > ? \
            AND \(q(r.notBefore)) > ?
            """, [.text(RequestStatus.unsent.rawValue), .integer(now), .integer(now)])
    }

    /// Unsent requests (due or not) per priority, highest first: priority, count.
    public var unsentByPriority: SQLStatement {
        SQLStatement(dialect, """
            SELECT \(q(r.priority)), COUNT(*) FROM \(q(r.table)) WHERE \(q(r.status)) = ? \
            GROUP BY \(q(r.priority)) ORDER BY \(q(r.priority)) DESC
            """, [.text(RequestStatus.unsent.rawValue)])
    }

    /// Counts requests per status: status, count.
    public var countByStatus: SQLStatement {
        SQLStatement(dialect, "SELECT \(q(r.status)), COUNT(*) FROM \(q(r.table)) GROUP BY \(q(r.status))")
    }

    /// Lists ids in one status, oldest first.
    public func ids(status: RequestStatus, limit: Int) -> SQLStatement {
        SQLStatement(dialect, """
            SELECT \(q(r.id)) FROM \(q(r.table)) WHERE \(q(r.status)) = ? ORDER BY \(q(r.requestedAt)), \(q(r.id)) LIMIT ?
            """, [.text(status.rawValue), .integer(Int64(limit))])
    }

    /// Makes request `id` due now, its attempts counted afresh: a failed one; an uncertain one
    /// that no live sender holds (one that does may have its 250 already: never resent under
    /// it); or an unsent one waiting for its retry time. One scheduled for later than `now`
    /// is left alone: it is not sent before its time.
    public func retry(id: String, now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.nextAttemptAt)) = ?, \(q(r.attempts)) = 0, \
            \(q(r.leaseOwner)) = NULL, \(q(r.leaseUntil)) = NULL WHERE \(q(r.id)) = ? AND (\(q(r.status)) = ? \
            OR (\(q(r.status)) = ? AND (\(q(r.leaseOwner)) IS NULL OR \(q(r.leaseUntil)) < ?)) \
            OR (\(q(r.status)) = ? AND \(q(r.nextAttemptAt)) > ?)) \
            AND (\(q(r.notBefore)) IS NULL OR \(q(r.notBefore)) <= ?)
            """, [.text(RequestStatus.unsent.rawValue), .integer(now), .text(id), .text(RequestStatus.failed.rawValue),
                  .text(RequestStatus.uncertain.rawValue), .integer(now), .text(RequestStatus.unsent.rawValue), .integer(now),
                  .integer(now)])
    }

    /// Which of `ids` exist: id.
    public func existing(ids: [String]) -> SQLStatement {
        SQLStatement(dialect, "SELECT \(q(r.id)) FROM \(q(r.table)) WHERE \(q(r.id)) IN (\(marks(ids.count)))", ids.map { .text($0) })
    }

    /// Failed requests, with their last error, that finished at or after `since` (when given)
    /// and are of `pattern` (when given): id, last error.
    public func failed(since: Int64?, pattern: String?) -> SQLStatement {
        var sql = "SELECT \(q(r.id)), \(q(r.lastError)) FROM \(q(r.table)) WHERE \(q(r.status)) = ?"
        var values: [SQLValue] = [.text(RequestStatus.failed.rawValue)]
        if let since { sql += " AND \(q(r.finishedAt)) >= ?"; values.append(.integer(since)) }
        if let pattern { sql += " AND \(q(r.patternID)) = ?"; values.append(.text(pattern)) }
        return SQLStatement(dialect, sql, values)
    }

    /// Makes every failed request unsent again, due now.
    public func retryAllFailed(now: Int64) -> SQLStatement {
        SQLStatement(dialect, """
            UPDATE \(q(r.table)) SET \(q(r.status)) = ?, \(q(r.nextAttemptAt)) = ?, \(q(r.attempts)) = 0 \
            WHERE \(q(r.status)) = ?
            """, [.text(RequestStatus.unsent.rawValue), .integer(now), .text(RequestStatus.failed.rawValue)])
    }
}
