import CPostgres

/// PostgresWakeUpSource listens for the `NOTIFY` every enqueue statement ends with
/// (``EnqueueStatements/notify``), on a libpq connection of its own.
final class PostgresWakeUpSource: WakeUpSource {
    private let url: String
    private let channel: String
    private var connection: PostgresConnection?

    /// Listens on `channel` of the database at `url`.
    init(url: String, channel: String) {
        self.url = url
        self.channel = channel
    }

    var name: String { "LISTEN \(channel) on \(PostgresConnection.redact(url))" }

    func open() throws(QueueError) -> Int32 {
        let connection = try PostgresConnection(url: url)
        try connection.simple("LISTEN \(q(channel))")
        let socket = PQsocket(connection.connection)
        guard socket >= 0 else { throw lost("libpq has no socket") }
        self.connection = connection
        return socket
    }

    func drain() throws(QueueError) -> Bool {
        guard let connection else { throw lost("not connected") }
        guard PQconsumeInput(connection.connection) == 1, PQstatus(connection.connection) == CONNECTION_OK else {
            throw lost(String(cString: PQerrorMessage(connection.connection)).trimming(" \n"))
        }
        // Every notification is read and freed; their payloads are not used, so a peer sending
        // many costs one wake-up (the workers' waits coalesce them).
        var announced = false
        while let notification = PQnotifies(connection.connection) {
            announced = true
            PQfreemem(notification)
        }
        return announced
    }

    func check() throws(QueueError) {
        guard let connection else { throw lost("not connected") }
        try connection.simple("SELECT 1")
    }

    func close() { connection = nil }

    private func lost(_ reason: String) -> QueueError {
        QueueError(.database, field: PostgresConnection.redact(url), reason: reason)
    }
}
