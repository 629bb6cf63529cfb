/// DatabaseURL opens the database a `--database` value names: `sqlite:PATH` (or a plain
/// path), or `postgres://…` / `postgresql://…`.
public enum DatabaseURL {
    /// The default: `sqlite:./mail-queue.sqlite`.
    public static let defaultValue = "sqlite:./mail-queue.sqlite"

    /// Opens the database.
    /// - Throws: `QueueError.configuration` for an unknown scheme, `.database` when it cannot be opened.
    public static func open(_ value: String) throws(QueueError) -> any QueueDatabase {
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            return try PostgresQueueDatabase(url: value)
        }
        if value.hasPrefix("sqlite:") {
            let path = String(value.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw QueueError(.configuration, field: "--database", reason: "sqlite: needs a path, e.g. sqlite:./mail-queue.sqlite")
            }
            return try SQLiteQueueDatabase(path: path)
        }
        if value.contains("://") {
            throw QueueError(.configuration, field: "--database",
                             reason: "'\(PostgresConnection.redact(value))' is neither sqlite:PATH nor postgres://…")
        }
        return try SQLiteQueueDatabase(path: value)
    }
}
