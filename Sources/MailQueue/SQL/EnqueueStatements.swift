/// EnqueueStatements turns a prepared request into INSERT statements with bound values, for
/// one dialect, with no I/O. Run them in the application's own transaction so the request
/// commits or rolls back with the business data.
///
/// ```swift
/// // Any driver: prepare, then run each statement in the open transaction.
/// let template: MailTemplate? = nil                       // or read with TemplateStatements.get
/// let stored = try RequestPreparer().prepare(request, template: template)
/// for statement in EnqueueStatements(dialect: .postgres).insert(stored, now: Clock.milliseconds()) {
///     try await connection.query(statement.sql, statement.bindings)   // PostgresNIO, SQLKit, …
/// }
/// ```
public struct EnqueueStatements: Sendable {
    /// The dialect.
    public let dialect: SQLDialect
    /// The names.
    public let schema: QueueSchema

    /// Creates the builder.
    public init(dialect: SQLDialect, schema: QueueSchema = QueueSchema()) {
        self.dialect = dialect
        self.schema = schema
    }

    /// The PostgreSQL channel an enqueue notifies and a sending daemon listens on: the request
    /// table's name, so queues with other tables in one database do not wake each other.
    public var channel: String { schema.requests.table }

    /// NOTIFY on ``channel`` (PostgreSQL; nil for SQLite). Run in the enqueue's transaction, it is
    /// delivered when that commits (and never when it rolls back); several in one transaction are
    /// delivered as one.
    public var notify: SQLStatement? {
        dialect == .postgres ? SQLStatement(dialect, "NOTIFY \(q(channel))") : nil
    }

    /// The statements storing `request` as unsent with its priority, due at once or at its
    /// `notBefore` when that is later: one request row, one row per recipient, one per
    /// attachment, and on PostgreSQL a ``notify`` that wakes the daemons.
    public func insert(_ request: StoredRequest, now: Int64) -> [SQLStatement] {
        let r = schema.requests, c = schema.recipients, a = schema.attachments
        let due = max(now, request.notBefore ?? now)
        var statements = [SQLStatement(dialect, """
            INSERT INTO \(q(r.table)) (\(q(r.id)), \(q(r.patternID)), \(q(r.subject)), \(q(r.from)), \(q(r.replyTo)), \
            \(q(r.returnPath)), \(q(r.charset)), \(q(r.body)), \(q(r.status)), \(q(r.requestedAt)), \(q(r.attempts)), \
            \(q(r.nextAttemptAt)), \(q(r.messageID)), \(q(r.rawMessage)), \(q(r.notBefore)), \(q(r.priority))) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
            """, [.text(request.id), .optional(request.patternID), .text(request.subject), .text(request.from),
                  .optional(request.replyTo), .optional(request.returnPath), .text(request.charset), .text(request.body),
                  .text(RequestStatus.unsent.rawValue), .integer(now), .integer(due), .text(request.messageID),
                  request.raw.map { .blob($0) } ?? .null, request.notBefore.map { .integer($0) } ?? .null,
                  .integer(Int64(request.priority))])]
        for (index, recipient) in request.recipients.enumerated() {
            statements.append(SQLStatement(dialect, """
                INSERT INTO \(q(c.table)) (\(q(c.requestID)), \(q(c.sequence)), \(q(c.kind)), \(q(c.address))) \
                VALUES (?, ?, ?, ?)
                """, [.text(request.id), .integer(Int64(index + 1)), .text(recipient.kind.rawValue), .text(recipient.address)]))
        }
        for (index, attachment) in request.attachments.enumerated() {
            statements.append(SQLStatement(dialect, """
                INSERT INTO \(q(a.table)) (\(q(a.requestID)), \(q(a.sequence)), \(q(a.filename)), \(q(a.contentType)), \
                \(q(a.data))) VALUES (?, ?, ?, ?, ?)
                """, [.text(request.id), .integer(Int64(index + 1)), .text(attachment.filename),
                      .text(attachment.contentType), .blob(attachment.data)]))
        }
        if let notify { statements.append(notify) }
        return statements
    }
}
