import GRDB

/// MailQueueRequester puts send requests into the queue inside the application's own
/// transaction, so a request commits or rolls back with the business data (Nablarch's
/// MailRequester).
///
/// ```swift
/// try dbQueue.write { db in
///     try db.execute(sql: "UPDATE account SET registered = 1 WHERE id = ?", arguments: [42])
///     let id = try MailQueueRequester.enqueue(request, in: db)
/// }   // both or neither
/// ```
public enum MailQueueRequester {
    /// Enqueues `request` in the GRDB transaction `db` is in (SQLite).
    /// - Returns: the request id.
    /// - Throws: `QueueError` for an invalid request (see `RequestPreparer`) or a database error.
    @discardableResult
    public static func enqueue(_ request: MailRequest, in db: Database, schema: QueueSchema = QueueSchema(),
                               limits: QueueLimits = QueueLimits(), now: Int64 = Clock.milliseconds()) throws(QueueError) -> String {
        try enqueue(request, on: SQLiteExecutor(db), schema: schema, limits: limits, now: now)
    }

    /// Enqueues `request` on any executor (the application's transaction in PostgreSQL:
    /// `PostgresConnection` after `BEGIN`).
    /// - Returns: the request id.
    @discardableResult
    public static func enqueue(_ request: MailRequest, on db: any SQLExecutor, schema: QueueSchema = QueueSchema(),
                               limits: QueueLimits = QueueLimits(), now: Int64 = Clock.milliseconds()) throws(QueueError) -> String {
        var template: MailTemplate?
        if case .template(let id, let language, _) = request.content {
            let statement = TemplateStatements(dialect: db.dialect, schema: schema).get(id: id, language: language)
            if let row = try db.query(statement).first {
                template = MailTemplate(id: id, language: language, subject: row[0].text ?? "", body: row[1].text ?? "",
                                        charset: row[2].text ?? limits.defaultCharset)
            }
        }
        let stored = try RequestPreparer(limits: limits).prepare(request, template: template)
        for statement in EnqueueStatements(dialect: db.dialect, schema: schema).insert(stored, now: now) {
            try db.execute(statement)
        }
        (db as? SQLiteExecutor)?.announceEnqueueOnCommit()
        return stored.id
    }
}
