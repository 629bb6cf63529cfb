import Foundation
import GRDB

/// SQLiteQueueDatabase is the queue's own SQLite database: a file opened in WAL mode, used by
/// the CLI and the sender. Several processes may use one file; claims take the write lock.
public final class SQLiteQueueDatabase: QueueDatabase, Sendable {
    /// The GRDB queue (one connection).
    public let queue: DatabaseQueue
    /// The file path.
    public let path: String
    /// Combines the write transactions of the process's threads (the sender's workers).
    let group = GroupCommit()

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

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction. Transactions other threads of this
    /// process want at the same moment may share its commit (`GroupCommit`): each still
    /// returns only once its own changes are committed, and an error in one undoes only its own.
    public func transaction<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        var result: T?
        try withoutActuallyEscaping(body) { (escapable) throws(QueueError) in
            let ticket = GroupCommit.Ticket { (db) throws(QueueError) in result = try escapable(db) }
            try group.run(ticket) { tickets in run(tickets, begin: "BEGIN IMMEDIATE") }
        }
        guard let result else { throw QueueError(.database, field: "sqlite:\(path)", reason: "transaction produced no result") }
        return result
    }

    /// Runs `body` in a `BEGIN DEFERRED` transaction of its own (it should only read).
    public func read<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        var result: T?
        try withoutActuallyEscaping(body) { (escapable) throws(QueueError) in
            let ticket = GroupCommit.Ticket { (db) throws(QueueError) in result = try escapable(db) }
            if let error = run([ticket], begin: "BEGIN DEFERRED")[0] { throw error }
        }
        guard let result else { throw QueueError(.database, field: "sqlite:\(path)", reason: "transaction produced no result") }
        return result
    }

    /// One transaction (`begin`, then COMMIT) for a group of callers: a lone one runs as it is
    /// (its error rolls it back); several run each in a savepoint, so that one's error undoes
    /// only its own changes. A failed BEGIN or COMMIT (busy past the timeout, disk full, …)
    /// fails every caller that had not failed already. BEGIN, SAVEPOINT, COMMIT and the
    /// callers' statements go through SQLite's C interface (`SQLiteExecutor(direct:)`).
    private func run(_ group: [GroupCommit.Ticket], begin: String) -> [QueueError?] {
        var errors = [QueueError?](repeating: nil, count: group.count)
        func body(_ index: Int, _ db: Database) -> Bool {
            guard let body = group[index].body else { return true }
            do throws(QueueError) {
                try body(SQLiteExecutor(direct: db))
                return true
            } catch {
                errors[index] = error
                return false
            }
        }
        do {
            try queue.writeWithoutTransaction { db in
                do {
                    let direct = SQLiteExecutor(direct: db)
                    try direct.control(begin)
                    if group.count == 1 {
                        guard body(0, db) else {
                            if db.isInsideTransaction { try direct.control("ROLLBACK") }
                            return
                        }
                    } else {
                        for index in group.indices {
                            try direct.control("SAVEPOINT grouped")
                            if !body(index, db) { try direct.control("ROLLBACK TO grouped") }
                            try direct.control("RELEASE grouped")
                        }
                    }
                    try direct.control("COMMIT")
                } catch {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    throw error
                }
            }
        } catch {
            let failure = (error as? QueueError)
                ?? QueueError(.database, field: "sqlite:\(path)", reason: SQLiteExecutor.describe(error))
            for index in errors.indices where errors[index] == nil { errors[index] = failure }
        }
        return errors
    }
}
