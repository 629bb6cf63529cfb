import Logging

extension WakeUp {
    /// Starts waking a daemon that sends from the database `url` names (a `--database` value)
    /// when a request is enqueued: PostgreSQL's `LISTEN` on a connection of its own, or inotify on
    /// a SQLite queue's ``SQLiteWakeFile``. Listening stops when `stop` is raised.
    /// - Parameters:
    ///   - url: the `--database` value.
    ///   - schema: the names (the PostgreSQL channel is the request table's name).
    ///   - stop: the sender's stop signal.
    ///   - pollSeconds: the poll interval, also the listener's liveness check.
    ///   - logger: where listening, losing and listening again are said.
    /// - Returns: the wake-up to give the sender (`SenderOptions.wakeUp`).
    /// - Throws: `QueueError` for a `url` that names no database, or when the listener's thread
    ///   cannot be set up.
    public static func listen(database url: String, schema: QueueSchema = QueueSchema(), stop: StopSignal,
                              pollSeconds: Double,
                              logger: Logger = Logger(label: "mail-queue.wake-up")) throws(QueueError) -> WakeUp {
        let wakeUp = WakeUp(stop: stop)
        let source: any WakeUpSource
        switch try DatabaseURL.location(url) {
        case .sqlite(let path):
            source = SQLiteWakeUpSource(database: path)
        case .postgres(let url):
            source = PostgresWakeUpSource(url: url, channel: EnqueueStatements(dialect: .postgres, schema: schema).channel)
        }
        _ = try WakeUpListener(source: source, wakeUp: wakeUp, stop: stop, pollSeconds: pollSeconds, logger: logger)
        return wakeUp
    }
}
