import Foundation

/// SQLiteQueueDatabase is the queue's own SQLite database: a file opened in WAL mode, used by
/// the CLI and the sender. Several processes may use one file; claims take the write lock.
///
/// One connection (`SQLiteConnection`, SQLite's C interface) serves the process's threads in
/// turn, under a lock.
public final class SQLiteQueueDatabase: QueueDatabase, @unchecked Sendable {
    /// The file path.
    public let path: String
    /// Combines the write transactions of the process's threads (the sender's workers).
    let group = GroupCommit()
    /// Used only under `lock`.
    private let connection: SQLiteConnection
    private let lock = NSLock()

    /// Opens (creating if needed) the database at `path`.
    /// - Parameter busyTimeout: how long to wait for another process's write lock, in seconds.
    /// - Throws: `QueueError.database` naming the path.
    public init(path: String, busyTimeout: Double = 30) throws(QueueError) {
        self.path = path
        connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
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

    /// Makes every commit on this connection reach the disk before it returns (`PRAGMA
    /// synchronous = FULL`: the WAL is fsynced at each commit), where the default (`NORMAL`)
    /// survives a killed process but may lose the last commits to a power loss or an OS crash.
    /// The relay uses it: its 250 to a client takes responsibility for the message (RFC 5321
    /// §6.1), as Postfix's fsynced queue file does. Commits other threads make at the same
    /// moment still share one sync (`GroupCommit`).
    public func syncEveryCommit() throws(QueueError) {
        lock.lock()
        defer { lock.unlock() }
        try connection.run("PRAGMA synchronous = FULL")
    }

    /// Sets `auto_vacuum = INCREMENTAL` (so a purge can give pages back to the file system)
    /// when the file does not have it: a file never written takes it at once; any other is
    /// rebuilt with `VACUUM` (once; it holds the write lock while it copies the file).
    /// - Returns: true when the file was rebuilt.
    @discardableResult
    public func useIncrementalVacuum() throws(QueueError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let db = SQLiteRawExecutor(connection)
        let mode = try db.query(SQLStatement(.sqlite, "PRAGMA auto_vacuum")).first?.first?.integer
        guard mode != 2 else { return false }
        try db.control("PRAGMA auto_vacuum = INCREMENTAL")
        // Taken at once only by a file never written: one already in WAL mode (its header
        // written) needs the rebuild too, a quick one while it is empty.
        guard try db.query(SQLStatement(.sqlite, "PRAGMA auto_vacuum")).first?.first?.integer != 2 else { return false }
        try db.control("VACUUM")
        return true
    }

    /// One transaction (`begin`, then COMMIT) for a group of callers: a lone one runs as it is
    /// (its error rolls it back); several run each in a savepoint, so that one's error undoes
    /// only its own changes. A failed BEGIN or COMMIT (busy past the timeout, disk full, …)
    /// fails every caller that had not failed already.
    private func run(_ group: [GroupCommit.Ticket], begin: String) -> [QueueError?] {
        var errors = [QueueError?](repeating: nil, count: group.count)
        lock.lock()
        defer { lock.unlock() }
        let db = SQLiteRawExecutor(connection)
        func body(_ index: Int) -> Bool {
            guard let body = group[index].body else { return true }
            do throws(QueueError) {
                try body(db)
                return true
            } catch {
                errors[index] = error
                return false
            }
        }
        do throws(QueueError) {
            try db.control(begin)
            if group.count == 1 {
                guard body(0) else {
                    if connection.isInsideTransaction { try db.control("ROLLBACK") }
                    return errors
                }
            } else {
                for index in group.indices {
                    try db.control("SAVEPOINT grouped")
                    if !body(index) { try db.control("ROLLBACK TO grouped") }
                    try db.control("RELEASE grouped")
                }
            }
            try db.control("COMMIT")
        } catch {
            if connection.isInsideTransaction { try? db.control("ROLLBACK") }
            for index in errors.indices where errors[index] == nil { errors[index] = error }
        }
        return errors
    }
}
