/// QueueStore is the queue's logic over any database: migrate, templates, enqueue, claim,
/// load, record outcomes, report. It runs statements built by the `*Statements` builders.
public final class QueueStore {
    /// The database.
    public let database: any QueueDatabase
    /// The names.
    public let schema: QueueSchema
    /// The checks and defaults used by `enqueue`.
    public var limits: QueueLimits
    /// The clock (ms since 1970).
    public var now: @Sendable () -> Int64

    /// Creates a store.
    public init(database: any QueueDatabase, schema: QueueSchema = QueueSchema(), limits: QueueLimits = QueueLimits(),
                now: @escaping @Sendable () -> Int64 = { Clock.milliseconds() }) {
        self.database = database
        self.schema = schema
        self.limits = limits
        self.now = now
        self.sender = SenderStatements(dialect: database.dialect, schema: schema)
    }

    var dialect: SQLDialect { database.dialect }
    /// The sender's statements, built once per store.
    let sender: SenderStatements

    // MARK: - Schema

    /// Creates or migrates the tables to `SchemaStatements.currentVersion`; a SQLite file is
    /// also switched to `auto_vacuum = INCREMENTAL` (an existing one rebuilt once by `VACUUM`).
    /// - Returns: the version found before (0 for a new database).
    /// - Throws: `QueueError.schema` when the database is from a newer version.
    @discardableResult
    public func migrate() throws(QueueError) -> Int {
        let builder = SchemaStatements(dialect: dialect, schema: schema)
        try builder.validateNames()
        // Before the tables exist, so a new file needs no rebuild (retention gives pages back).
        try (database as? SQLiteQueueDatabase)?.useIncrementalVacuum()
        return try database.transaction { (db) throws(QueueError) -> Int in
            try db.execute(builder.createVersionTable)
            let version = Int(try db.query(builder.readVersion).first?.first?.integer ?? 0)
            if version > SchemaStatements.currentVersion {
                throw QueueError(.schema, field: schema.versionTable,
                                 reason: "the database is at schema version \(version); this mail-queue knows up to \(SchemaStatements.currentVersion)")
            }
            for statement in builder.migrations(from: version) { try db.execute(statement) }
            return version
        }
    }

    /// Checks that the schema is present and current.
    /// - Throws: `QueueError.schema` saying to run `mail-queue init`.
    public func checkSchema() throws(QueueError) {
        let builder = SchemaStatements(dialect: dialect, schema: schema)
        let version: Int
        do {
            version = try database.transaction { (db) throws(QueueError) -> Int in
                Int(try db.query(builder.readVersion).first?.first?.integer ?? 0)
            }
        } catch {
            throw QueueError(.schema, field: schema.versionTable, reason: "no queue schema here (run `mail-queue init`): \(error.reason)")
        }
        if version != SchemaStatements.currentVersion {
            throw QueueError(.schema, field: schema.versionTable,
                             reason: "schema version \(version), expected \(SchemaStatements.currentVersion) (run `mail-queue init`)")
        }
    }

    // MARK: - Templates and requests

    /// Stores (or replaces) a template, after checking it parses.
    public func putTemplate(_ template: MailTemplate) throws(QueueError) {
        _ = try TemplateRenderer.parses(template)
        let statements = TemplateStatements(dialect: dialect, schema: schema).put(template)
        try database.transaction { (db) throws(QueueError) in
            for statement in statements { try db.execute(statement) }
        }
    }

    /// Every stored template (its body left empty), by id, then language.
    public func templates() throws(QueueError) -> [MailTemplate] {
        let statement = TemplateStatements(dialect: dialect, schema: schema).list
        return try database.read { (db) throws(QueueError) -> [MailTemplate] in
            try db.query(statement).map { row in
                MailTemplate(id: row[0].text ?? "", language: row[1].text ?? "", subject: row[2].text ?? "", body: "",
                             charset: row[3].text ?? "")
            }
        }
    }

    /// One stored template, or nil when there is none with that id and language.
    public func template(id: String, language: String) throws(QueueError) -> MailTemplate? {
        let statement = TemplateStatements(dialect: dialect, schema: schema).get(id: id, language: language)
        return try database.read { (db) throws(QueueError) -> MailTemplate? in
            try db.query(statement).first.map { row in
                MailTemplate(id: id, language: language, subject: row[0].text ?? "", body: row[1].text ?? "",
                             charset: row[2].text ?? "")
            }
        }
    }

    /// Enqueues one request in its own transaction.
    /// - Returns: the request id.
    @discardableResult
    public func enqueue(_ request: MailRequest) throws(QueueError) -> String {
        let limits = self.limits, schema = self.schema, now = self.now()
        let id = try database.transaction { (db) throws(QueueError) -> String in
            try MailQueueRequester.enqueue(request, on: db, schema: schema, limits: limits, now: now)
        }
        announceEnqueue()
        return id
    }

    /// Enqueues a raw message (the relay's) in its own transaction; once this returns, the
    /// request has committed.
    /// - Returns: the request id.
    @discardableResult
    public func enqueue(_ message: RawMessage, id: String = RequestID.make()) throws(QueueError) -> String {
        let stored = try message.stored(id: id, limits: limits)
        let statements = EnqueueStatements(dialect: dialect, schema: schema).insert(stored, now: now())
        try database.transaction { (db) throws(QueueError) in
            for statement in statements { try db.execute(statement) }
        }
        announceEnqueue()
        return stored.id
    }

    /// Wakes the daemons sending from a SQLite queue on this host, after the commit that made
    /// requests due (PostgreSQL's enqueue statements notify by themselves; see `notifyDue`).
    func announceEnqueue() {
        if let sqlite = database as? SQLiteQueueDatabase { SQLiteWakeFile.touch(database: sqlite.path) }
    }

    /// In a transaction that made requests due other than by enqueueing (retry, release): the
    /// PostgreSQL NOTIFY an enqueue ends with, delivered on commit. SQLite: nothing here
    /// (`announceEnqueue` after the commit).
    func notifyDue(_ db: any SQLExecutor) throws(QueueError) {
        if let notify = EnqueueStatements(dialect: dialect, schema: schema).notify { try db.execute(notify) }
    }

    // MARK: - Sender side

    /// Claims up to `limit` due requests for `owner` until `now + leaseMillis`.
    /// - Returns: the claimed ids, highest priority first, then oldest due.
    ///
    /// `relayed` says which relayed (raw-message) requests may be taken: a sender passes
    /// `RelayedClaim.sender(credentialAlias:)`, so that a relayed request goes out only with its
    /// upstream credential.
    ///
    /// In one transaction: the priorities that have due requests, with their counts
    /// (`SenderStatements.duePriorities`); then the scans of the first of them whose counts
    /// fill the batch (and of expired leases and uncertain requests), merged and claimed; again
    /// with the next priorities while the batch is short (on PostgreSQL another sender may hold
    /// rows that were counted). Each scan is a range of the claim index at one priority, so no
    /// claim reads past requests not yet due at a higher priority.
    public func claim(owner: String, limit: Int, leaseMillis: Int64, pattern: String?,
                      resendUncertain: Bool = false, relayed: RelayedClaim = .any) throws(QueueError) -> [String] {
        let now = self.now(), statements = sender, dialect = self.dialect
        let leaseUntil = now + leaseMillis
        return try database.transaction { (db) throws(QueueError) -> [String] in
            var priorities: [(priority: Int, due: Int)] = [], below: Int?, listed = false
            var claimed: [Claimed] = []
            var others = true
            while claimed.count < limit {
                if priorities.isEmpty, !listed {
                    // The next page of priorities, below the last one seen.
                    priorities = try db.query(statements.duePriorities(now: now, limit: limit, below: below, pattern: pattern,
                                                                       relayed: relayed))
                        .map { (priority: Int($0[0].integer ?? 0), due: Int($0[1].integer ?? 0)) }
                    listed = priorities.count < limit
                    below = priorities.last?.priority
                    priorities.removeAll { $0.due == 0 }
                    if priorities.isEmpty, !listed, !others { continue }
                }
                if priorities.isEmpty, !others { break }
                let wanted = limit - claimed.count
                var take = 0, covered = 0
                while take < priorities.count, covered < wanted {
                    covered += priorities[take].due
                    take += 1
                }
                let round = priorities.prefix(take).map(\.priority)
                priorities.removeFirst(take)
                switch dialect {
                case .postgres:
                    if let statement = statements.claimSkipLocked(
                        now: now, limit: wanted, priorities: round, others: others, owner: owner, leaseUntil: leaseUntil,
                        pattern: pattern, resendUncertain: resendUncertain, relayed: relayed) {
                        claimed += try db.query(statement).compactMap(Claimed.init)
                    }
                case .sqlite:
                    if let statement = statements.dueIDs(now: now, limit: wanted, priorities: round, others: others,
                                                         pattern: pattern, resendUncertain: resendUncertain, relayed: relayed) {
                        let due = try db.query(statement).compactMap(Claimed.init).sorted().prefix(wanted)
                        if !due.isEmpty { try db.execute(statements.claim(ids: due.map(\.id), owner: owner, leaseUntil: leaseUntil)) }
                        claimed += due
                    }
                }
                others = false
            }
            return claimed.sorted().map(\.id)
        }
    }

    /// A claimed request as a claim's statement returns it: id, priority, due time.
    private struct Claimed: Comparable {
        let id: String
        let priority: Int64
        let due: Int64

        init?(_ row: [SQLValue]) {
            guard row.count >= 3, let id = row[0].text else { return nil }
            self.id = id
            priority = row[1].integer ?? 0
            due = row[2].integer ?? 0
        }

        /// Highest priority first, then oldest due, then id.
        static func < (a: Claimed, b: Claimed) -> Bool {
            if a.priority != b.priority { return a.priority > b.priority }
            if a.due != b.due { return a.due < b.due }
            return a.id < b.id
        }
    }

    /// Reads a request back as stored.
    /// - Throws: `QueueError.notFound` for an unknown id.
    public func load(_ id: String) throws(QueueError) -> StoredRequest {
        try details(id).request
    }

    /// The attachments of request `id`, in order.
    static func attachments(of id: String, on db: any SQLExecutor, statements: SenderStatements) throws(QueueError)
        -> [MailAttachment]
    {
        try db.query(statements.attachments(id: id)).map { columns in
            MailAttachment(filename: columns[0].text ?? "", contentType: columns[1].text ?? "", data: columns[2].bytes ?? [])
        }
    }

    /// A stored request from the columns of `SenderStatements.load`.
    static func request(row: [SQLValue], id: String, recipients: [(kind: RecipientKind, address: String)],
                        attachments: [MailAttachment]) -> StoredRequest {
        StoredRequest(
            id: row[0].text ?? id, patternID: row[1].text, from: row[2].text ?? "", replyTo: row[3].text,
            returnPath: row[4].text, charset: row[5].text ?? "UTF-8", subject: row[6].text ?? "", body: row[7].text ?? "",
            recipients: recipients, attachments: attachments, messageID: row[8].text ?? "",
            raw: row.count > 17 ? row[17].bytes : nil, notBefore: row.count > 18 ? row[18].integer : nil,
            priority: row.count > 19 ? Int(row[19].integer ?? 0) : 0)
    }

    /// Runs one outcome statement; returns whether it changed the row.
    @discardableResult
    func record(_ statement: SQLStatement) throws(QueueError) -> Bool {
        try database.transaction { (db) throws(QueueError) -> Bool in try db.execute(statement) == 1 }
    }

    /// Marks `id` delivery-uncertain before the final `.`; false when the claim was lost.
    /// `sent` (requests whose 250 came since the last write) are marked sent in the same
    /// transaction, and stay marked even when the claim on `id` was lost.
    public func markUncertain(_ id: String, owner: String, recordingSent sent: [SentMark] = []) throws(QueueError) -> Bool {
        let statements = sender, now = self.now()
        let enqueue = EnqueueStatements(dialect: dialect, schema: schema)
        return try database.transaction { (db) throws(QueueError) -> Bool in
            for mark in sent { try Self.markSent(mark, owner: owner, now: now, on: db, statements: statements, enqueue: enqueue) }
            return try db.execute(statements.markUncertain(id: id, owner: owner)) == 1
        }
    }

    /// Marks `id` sent after the 250.
    public func markSent(_ id: String, owner: String, refused: String?) throws(QueueError) {
        try markSent([SentMark(id: id, refused: refused)], owner: owner)
    }

    /// Marks requests sent after their 250s, in one transaction.
    public func markSent(_ marks: [SentMark], owner: String) throws(QueueError) {
        guard !marks.isEmpty else { return }
        let statements = sender, now = self.now()
        let enqueue = EnqueueStatements(dialect: dialect, schema: schema)
        try database.transaction { (db) throws(QueueError) in
            for mark in marks { try Self.markSent(mark, owner: owner, now: now, on: db, statements: statements, enqueue: enqueue) }
        }
    }

    /// Puts `id` back for another attempt at `nextAttemptAt`.
    public func markRetry(_ id: String, owner: String, nextAttemptAt: Int64, error: String, refused: String?) throws(QueueError) {
        try record(sender.markRetry(id: id, owner: owner, nextAttemptAt: nextAttemptAt, error: error, refused: refused))
    }

    /// Marks `id` failed with `error`.
    public func markFailed(_ id: String, owner: String, error: String, refused: String?) throws(QueueError) {
        try record(sender.markFailed(id: id, owner: owner, now: now(), error: error, refused: refused))
    }

    /// Records the error of a delivery-uncertain request and lets go of its claim.
    public func noteUncertain(_ id: String, owner: String, error: String) throws(QueueError) {
        try record(sender.noteUncertain(id: id, owner: owner, error: error))
    }

    /// Extends `owner`'s claims on `ids` (those still `sending`) by `leaseMillis` from now.
    /// - Returns: the ids still held.
    @discardableResult
    public func renew(_ ids: [String], owner: String, leaseMillis: Int64) throws(QueueError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let statements = sender, until = now() + leaseMillis
        return try database.transaction { (db) throws(QueueError) -> Set<String> in
            var held: Set<String> = []
            for id in ids where try db.execute(statements.renew(id: id, owner: owner, leaseUntil: until)) == 1 {
                held.insert(id)
            }
            return held
        }
    }

    /// Gives back claimed requests never started: unsent, due as before, their attempts as they
    /// were before the claim; `error`, when given, recorded as why they were not sent.
    public func release(_ ids: [String], owner: String, error: String? = nil) throws(QueueError) {
        guard !ids.isEmpty else { return }
        let statements = sender
        try database.transaction { (db) throws(QueueError) in
            for id in ids { try db.execute(statements.release(id: id, owner: owner, error: error)) }
        }
    }

    // MARK: - Reports and repair

    /// Counts requests by status (every status present, zero when none).
    public func counts() throws(QueueError) -> [RequestStatus: Int] {
        let statement = sender.countByStatus
        let rows = try database.read { (db) throws(QueueError) -> [[SQLValue]] in try db.query(statement) }
        var counts = Dictionary(uniqueKeysWithValues: RequestStatus.allCases.map { ($0, 0) })
        for row in rows {
            if let status = RequestStatus(rawValue: row[0].text ?? ""), let n = row[1].integer { counts[status] = Int(n) }
        }
        return counts
    }

    /// When the next unsent request that is not due now falls due (ms since 1970): the
    /// earliest scheduled time or retry; nil when there is none.
    public func nextDue() throws(QueueError) -> Int64? {
        let statement = sender.nextDue(after: now())
        return try database.read { (db) throws(QueueError) -> Int64? in try db.query(statement).first?.first?.integer }
    }

    /// Unsent requests that are not yet due (waiting for a retry after a 4xx, a timeout or a
    /// refused connection), and when the first of them is due (ms since 1970).
    public func waiting() throws(QueueError) -> (count: Int, next: Int64?) {
        let statement = sender.waiting(now: now())
        let row = try database.read { (db) throws(QueueError) -> [SQLValue] in try db.query(statement).first ?? [] }
        return (Int(row.first?.integer ?? 0), row.count > 1 ? row[1].integer : nil)
    }

    /// Unsent requests scheduled for later than now (their `notBefore`), and when the first
    /// of them is due (ms since 1970).
    public func scheduled() throws(QueueError) -> (count: Int, next: Int64?) {
        let statement = sender.scheduled(now: now())
        let row = try database.read { (db) throws(QueueError) -> [SQLValue] in try db.query(statement).first ?? [] }
        return (Int(row.first?.integer ?? 0), row.count > 1 ? row[1].integer : nil)
    }

    /// Unsent requests (due or not) per priority, highest first.
    public func unsentByPriority() throws(QueueError) -> [(priority: Int, count: Int)] {
        let statement = sender.unsentByPriority
        return try database.read { (db) throws(QueueError) -> [(priority: Int, count: Int)] in
            try db.query(statement).map { (Int($0[0].integer ?? 0), Int($0[1].integer ?? 0)) }
        }
    }

    /// The ids in `status`, oldest first.
    public func ids(in status: RequestStatus, limit: Int = 1000) throws(QueueError) -> [String] {
        let statement = sender.ids(status: status, limit: limit)
        return try database.read { (db) throws(QueueError) -> [String] in
            try db.query(statement).compactMap { $0.first?.text }
        }
    }

    /// Everything known about one request.
    /// - Throws: `QueueError.notFound` for an unknown id.
    public func details(_ id: String) throws(QueueError) -> RequestDetails {
        guard let details = try details([id], byteBudget: .max).first else {
            throw QueueError(.notFound, field: "request \(id)", reason: "no such request")
        }
        return details
    }

    /// Everything known about each of `ids`, in order, read in one transaction with a few
    /// statements for the lot (a sender loads its claimed batch this way, not three queries
    /// per request). Reading stops after the request whose body and attachments bring the
    /// bytes read past `byteBudget`, so a batch of large requests is read a few at a time; at
    /// least one is read. Unknown ids are left out.
    public func details<IDs: Collection<String>>(_ ids: IDs, byteBudget: Int) throws(QueueError) -> [RequestDetails] {
        let statements = sender
        // At most 500 ids a statement, well under every driver's limit on bound values.
        let wanted = Array(ids.prefix(500))
        guard !wanted.isEmpty else { return [] }
        return try database.read { (db) throws(QueueError) -> [RequestDetails] in
            var rows: [String: [SQLValue]] = [:]
            for row in try db.query(statements.load(ids: wanted)) where row.count >= 17 {
                if let id = row[0].text { rows[id] = row }
            }
            var recipients: [String: [(kind: RecipientKind, address: String)]] = [:]
            for row in try db.query(statements.recipients(ids: wanted)) {
                guard let id = row[0].text else { continue }
                recipients[id, default: []].append((RecipientKind(rawValue: row[1].text ?? "") ?? .to, row[2].text ?? ""))
            }
            var attachmentBytes: [String: Int] = [:]
            for row in try db.query(statements.attachmentSizes(ids: wanted)) {
                if let id = row[0].text { attachmentBytes[id] = Int(row[1].integer ?? 0) }
            }
            var result: [RequestDetails] = []
            var bytes = 0
            for id in wanted {
                guard bytes <= byteBudget || result.isEmpty else { break }
                guard let row = rows[id] else { continue }
                var attachments: [MailAttachment] = []
                if attachmentBytes[id] != nil { attachments = try Self.attachments(of: id, on: db, statements: statements) }
                let request = Self.request(row: row, id: id, recipients: recipients[id] ?? [], attachments: attachments)
                bytes += request.attachments.reduce(request.body.utf8.count + (request.raw?.count ?? 0)) { $0 + $1.data.count }
                result.append(RequestDetails(
                    request: request, status: RequestStatus(rawValue: row[9].text ?? "") ?? .failed,
                    attempts: Int(row[10].integer ?? 0), requestedAt: row[11].integer ?? 0, sentAt: row[12].integer,
                    lastError: row[13].text, refused: row[14].text, leaseOwner: row[15].text,
                    nextAttemptAt: row[16].integer ?? 0))
            }
            return result
        }
    }

    /// Makes requests due now: failed ones, uncertain ones no live sender holds, and unsent
    /// ones waiting for their retry time.
    /// - Returns: the ids changed (any other id that exists is left alone).
    /// - Throws: `QueueError.notFound` naming the ids that do not exist; nothing is changed then.
    public func retry(_ ids: [String]) throws(QueueError) -> [String] {
        guard !ids.isEmpty else { return [] }
        let statements = sender, now = self.now()
        let changed = try database.transaction { (db) throws(QueueError) -> [String] in
            var known: Set<String> = []
            // At most 500 ids a statement, well under every driver's limit on bound values.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let part = Array(ids[start..<min(start + 500, ids.count)])
                for row in try db.query(statements.existing(ids: part)) { if let id = row.first?.text { known.insert(id) } }
            }
            let unknown = ids.filter { !known.contains($0) }
            if !unknown.isEmpty {
                throw QueueError(.notFound, field: "request \(unknown.joined(separator: ", "))",
                                 reason: unknown.count == 1 ? "no such request" : "no such requests")
            }
            var changed: [String] = []
            for id in ids where try db.execute(statements.retry(id: id, now: now)) == 1 { changed.append(id) }
            if !changed.isEmpty { try notifyDue(db) }
            return changed
        }
        if !changed.isEmpty { announceEnqueue() }
        return changed
    }

    /// Makes the failed requests `filter` matches unsent again, due now, in one transaction.
    /// - Returns: how many.
    public func retryFailed(_ filter: RetryFilter) throws(QueueError) -> Int {
        let statements = sender, now = self.now()
        let candidates = statements.failed(since: filter.sinceMillis.map { now - $0 }, pattern: filter.pattern)
        let changed = try database.transaction { (db) throws(QueueError) -> Int in
            var changed = 0
            for row in try db.query(candidates) where filter.matches(lastError: row.count > 1 ? row[1].text : nil) {
                guard let id = row.first?.text else { continue }
                changed += try db.execute(statements.retry(id: id, now: now))
            }
            if changed > 0 { try notifyDue(db) }
            return changed
        }
        if changed > 0 { announceEnqueue() }
        return changed
    }

    /// Makes every failed request unsent again.
    /// - Returns: how many.
    public func retryFailed() throws(QueueError) -> Int {
        let statement = sender.retryAllFailed(now: now())
        return try database.transaction { (db) throws(QueueError) -> Int in try db.execute(statement) }
    }
}

/// SentMark is a request whose final dot the server accepted, waiting to be marked sent.
public struct SentMark: Sendable, Hashable {
    /// The request id.
    public var id: String
    /// Recipients the server refused, if any.
    public var refused: String?
    /// The delivery status notification for the refused recipients (`--bounce`), stored with
    /// the mark.
    public var bounce: StoredRequest?

    /// Creates a mark.
    public init(id: String, refused: String?, bounce: StoredRequest? = nil) {
        self.id = id
        self.refused = refused
        self.bounce = bounce
    }
}

/// RequestDetails is a request with its state, as `mail-queue show` prints it.
public struct RequestDetails: Sendable {
    /// The request as stored.
    public var request: StoredRequest
    /// Its status.
    public var status: RequestStatus
    /// Attempts made.
    public var attempts: Int
    /// When requested (ms since 1970).
    public var requestedAt: Int64
    /// When sent (ms since 1970), if sent.
    public var sentAt: Int64?
    /// The last error or reply, if any.
    public var lastError: String?
    /// Recipients the server refused, if any.
    public var refused: String?
    /// The sender holding the claim, if any.
    public var leaseOwner: String?
    /// Not before (ms since 1970).
    public var nextAttemptAt: Int64
}
