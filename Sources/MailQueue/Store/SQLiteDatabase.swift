import Foundation
import GRDB

/// SQLiteExecutor runs statements on a GRDB `Database` — the application's own, inside its
/// transaction, or the queue's.
public struct SQLiteExecutor: SQLExecutor {
    /// The GRDB database (connection) to run on.
    public let db: Database

    /// Wraps a GRDB database.
    public init(_ db: Database) { self.db = db }

    /// Always `.sqlite`.
    public var dialect: SQLDialect { .sqlite }

    /// Runs a statement and returns the number of rows changed.
    @discardableResult
    public func execute(_ statement: SQLStatement) throws(QueueError) -> Int {
        do {
            // Cached: the queue runs the same few statements over and over; preparing each
            // anew (and GRDB's authorizer pass over it) cost more than running it.
            try db.cachedStatement(sql: statement.sql).execute(arguments: Self.arguments(statement))
            return db.changesCount
        } catch {
            throw QueueError(.database, field: "SQLite", reason: Self.describe(error))
        }
    }

    /// Runs a query.
    public func query(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]] {
        do {
            let prepared = try db.cachedStatement(sql: statement.sql)
            return try Row.fetchAll(prepared, arguments: Self.arguments(statement)).map { row in
                row.databaseValues.map { value in
                    switch value.storage {
                    case .null: return .null
                    case .int64(let v): return .integer(v)
                    case .double(let v): return .integer(Int64(v))
                    case .string(let v): return .text(v)
                    case .blob(let v): return .blob([UInt8](v))
                    }
                }
            }
        } catch {
            throw QueueError(.database, field: "SQLite", reason: Self.describe(error))
        }
    }

    static func arguments(_ statement: SQLStatement) -> StatementArguments {
        StatementArguments(statement.bindings.map { value -> DatabaseValueConvertible? in
            switch value {
            case .text(let v): return v
            case .integer(let v): return v
            case .blob(let v): return Data(v)
            case .null: return nil
            }
        })
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? DatabaseError {
            // The message and the SQL, never the bound values (they may be private).
            return "\(error.message ?? "error \(error.resultCode)") (\(error.sql ?? ""))"
        }
        return "\(error)"
    }
}

/// SQLiteQueueDatabase is the queue's own SQLite database: a file opened in WAL mode, used by
/// the CLI and the sender. Several processes may use one file; claims take the write lock.
public final class SQLiteQueueDatabase: QueueDatabase, Sendable {
    /// The GRDB queue (one connection).
    public let queue: DatabaseQueue
    /// The file path.
    public let path: String

    /// Opens (creating if needed) the database at `path`.
    /// - Parameter busyTimeout: how long to wait for another process's write lock, in seconds.
    /// - Throws: `QueueError.database` naming the path.
    public init(path: String, busyTimeout: Double = 30) throws(QueueError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL: readers never block the writer. NORMAL: a commit survives a crashed process
            // (only an OS crash or power loss may lose the last commits).
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads through a memory map, not a pread(2) and a copy per page: a sender reads
            // every request it sends once.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
            }
        } catch {
            throw QueueError(.database, field: "sqlite:\(path)", reason: SQLiteExecutor.describe(error))
        }
    }

    /// Always `.sqlite`.
    public var dialect: SQLDialect { .sqlite }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction.
    public func transaction<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        try run(begin: "BEGIN IMMEDIATE", body)
    }

    /// Runs `body` in a `BEGIN DEFERRED` transaction (it should only read).
    public func read<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        try run(begin: "BEGIN DEFERRED", body)
    }

    /// BEGIN, `body`, COMMIT, or ROLLBACK when `body` or the commit fails. The three are cached
    /// statements: a sender runs two transactions per message, and GRDB's `inTransaction`
    /// parsed BEGIN and COMMIT anew each time.
    private func run<T>(begin: String, _ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        var outcome: Result<T, QueueError>?
        do {
            try queue.writeWithoutTransaction { db in
                try db.cachedStatement(sql: begin).execute()
                let value: T
                do throws(QueueError) {
                    value = try body(SQLiteExecutor(db))
                } catch {
                    outcome = .failure(error)
                    if db.isInsideTransaction { try db.cachedStatement(sql: "ROLLBACK").execute() }
                    return
                }
                do {
                    try db.cachedStatement(sql: "COMMIT").execute()
                } catch {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    throw error
                }
                outcome = .success(value)
            }
        } catch {
            // BEGIN, COMMIT or ROLLBACK failed (busy past the timeout, disk full, …).
            throw QueueError(.database, field: "sqlite:\(path)", reason: SQLiteExecutor.describe(error))
        }
        guard let outcome else { throw QueueError(.database, field: "sqlite:\(path)", reason: "transaction produced no result") }
        return try outcome.get()
    }
}
