import Foundation
import GRDB
import GRDBSQLite

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
        let handle = try prepared(statement)
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE: return Int(sqlite3_changes(db.sqliteConnection))
            case SQLITE_ROW: continue
            default: throw failure(statement)
            }
        }
    }

    /// Runs a query.
    public func query(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]] {
        let handle = try prepared(statement)
        defer { sqlite3_reset(handle) }
        let columns = sqlite3_column_count(handle)
        var rows: [[SQLValue]] = []
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE: return rows
            case SQLITE_ROW:
                var row: [SQLValue] = []
                row.reserveCapacity(Int(columns))
                for column in 0..<columns { row.append(Self.value(handle, column)) }
                rows.append(row)
            default: throw failure(statement)
            }
        }
    }

    /// The statement, prepared once per connection (GRDB's cache: the queue runs the same few
    /// statements over and over, and preparing each anew cost more than running it), with
    /// `statement`'s values bound straight through SQLite's C interface: GRDB's argument
    /// checks and conversions took a tenth of a sender's time.
    private func prepared(_ statement: SQLStatement) throws(QueueError) -> OpaquePointer {
        let handle: OpaquePointer
        do {
            handle = try db.cachedStatement(sql: statement.sql).sqliteStatement
        } catch {
            throw QueueError(.database, field: "SQLite", reason: Self.describe(error))
        }
        sqlite3_reset(handle)
        guard Int(sqlite3_bind_parameter_count(handle)) == statement.bindings.count else {
            throw QueueError(.database, field: "SQLite", reason: "\(statement.bindings.count) values for \(sqlite3_bind_parameter_count(handle)) parameters (\(statement.sql))")
        }
        for (offset, value) in statement.bindings.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .text(var v):
                code = v.withUTF8 { text in
                    text.withMemoryRebound(to: CChar.self) { chars in
                        // SQLITE_TRANSIENT: SQLite copies the bytes before this returns; an
                        // empty string still needs a pointer (a null one would bind NULL).
                        sqlite3_bind_text(handle, index, chars.baseAddress ?? Self.empty, Int32(chars.count), Self.transient)
                    }
                }
            case .blob(let v):
                code = v.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), Self.transient)
                }
            }
            guard code == SQLITE_OK else { throw failure(statement) }
        }
        return handle
    }

    /// A pointer to an empty C string.
    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let byte = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        byte.initialize(to: 0)
        return UnsafePointer(byte)
    }()

    /// SQLite's "copy the value now" destructor.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private static func value(_ handle: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .integer(Int64(sqlite3_column_double(handle, column)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        }
    }

    /// The connection's last error, with the SQL (never the bound values: they may be private).
    private func failure(_ statement: SQLStatement) -> QueueError {
        let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) } ?? "error \(sqlite3_errcode(db.sqliteConnection))"
        return QueueError(.database, field: "SQLite", reason: "\(message) (\(statement.sql))")
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
            try group.run(ticket, with: runGroup)
        }
        guard let result else { throw QueueError(.database, field: "sqlite:\(path)", reason: "transaction produced no result") }
        return result
    }

    /// Runs `body` in a `BEGIN DEFERRED` transaction (it should only read).
    public func read<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        try run(begin: "BEGIN DEFERRED", body)
    }

    /// One transaction for a group of callers: a lone one runs as it is (its error rolls it
    /// back); several run each in a savepoint, so that one's error undoes only its own changes.
    /// A failed BEGIN or COMMIT (busy past the timeout, disk full, …) fails every caller that
    /// had not failed already.
    private func runGroup(_ group: [GroupCommit.Ticket]) -> [QueueError?] {
        var errors = [QueueError?](repeating: nil, count: group.count)
        func body(_ index: Int, _ db: Database) -> Bool {
            guard let body = group[index].body else { return true }
            do throws(QueueError) {
                try body(SQLiteExecutor(db))
                return true
            } catch {
                errors[index] = error
                return false
            }
        }
        do {
            try queue.writeWithoutTransaction { db in
                do {
                    try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                    if group.count == 1 {
                        guard body(0, db) else {
                            if db.isInsideTransaction { try db.cachedStatement(sql: "ROLLBACK").execute() }
                            return
                        }
                    } else {
                        for index in group.indices {
                            try db.cachedStatement(sql: "SAVEPOINT grouped").execute()
                            if !body(index, db) { try db.cachedStatement(sql: "ROLLBACK TO grouped").execute() }
                            try db.cachedStatement(sql: "RELEASE grouped").execute()
                        }
                    }
                    try db.cachedStatement(sql: "COMMIT").execute()
                } catch {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    throw error
                }
            }
        } catch {
            let failure = QueueError(.database, field: "sqlite:\(path)", reason: SQLiteExecutor.describe(error))
            for index in errors.indices where errors[index] == nil { errors[index] = failure }
        }
        return errors
    }

    /// BEGIN, `body`, COMMIT, or ROLLBACK when `body` or the commit fails (reads). The three
    /// are cached statements: GRDB's `inTransaction` parsed BEGIN and COMMIT anew each time.
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
