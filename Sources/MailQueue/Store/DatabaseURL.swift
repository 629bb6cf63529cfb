import Foundation

/// DatabaseURL opens the database a `--database` value names: `sqlite:PATH` (or a plain
/// path), or `postgres://…` / `postgresql://…`.
public enum DatabaseURL {
    /// The default: `sqlite:./mail-queue.sqlite`.
    public static let defaultValue = "sqlite:./mail-queue.sqlite"

    /// Opens the database; a SQLite file is created only with `create` (`mail-queue init`), so
    /// that a mistyped path in any other command is an error, not a new empty file.
    /// - Throws: `QueueError.configuration` for an unknown scheme, `.database` when it cannot be
    ///   opened or (without `create`) a SQLite file does not exist.
    public static func open(_ value: String, create: Bool = true) throws(QueueError) -> any QueueDatabase {
        switch try location(value) {
        case .postgres(let url): return try PostgresQueueDatabase(url: url)
        case .sqlite(let path): return try sqlite(path, create: create)
        }
    }

    /// Location is where a `--database` value points, read without opening anything.
    public enum Location: Sendable, Equatable {
        /// A PostgreSQL URL.
        case postgres(String)
        /// A SQLite file's path.
        case sqlite(String)
    }

    /// Where `value` points.
    /// - Throws: `QueueError.configuration` for an unknown scheme or `sqlite:` without a path.
    public static func location(_ value: String) throws(QueueError) -> Location {
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") { return .postgres(value) }
        if value.hasPrefix("sqlite:") {
            let path = String(value.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw QueueError(.configuration, field: "--database", reason: "sqlite: needs a path, e.g. sqlite:./mail-queue.sqlite")
            }
            return .sqlite(path)
        }
        if value.contains("://") {
            throw QueueError(.configuration, field: "--database",
                             reason: "'\(PostgresConnection.redact(value))' is neither sqlite:PATH nor postgres://…")
        }
        return .sqlite(value)
    }

    private static func sqlite(_ path: String, create: Bool) throws(QueueError) -> SQLiteQueueDatabase {
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw QueueError(.database, field: "sqlite:\(path)", reason: "no queue database here (mail-queue init creates one)")
        }
        return try SQLiteQueueDatabase(path: path)
    }
}
