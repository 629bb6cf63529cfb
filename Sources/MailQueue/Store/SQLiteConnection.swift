import GRDBSQLite

/// SQLiteConnection is the queue's own SQLite connection, opened and used through SQLite's C
/// interface with its statements prepared once and kept. GRDB's `DatabaseQueue` ran every
/// transaction through a dispatch queue and looked each statement up by its text: a tenth of a
/// sender's time once each message is one short transaction. (An application's connection keeps
/// GRDB: its observers must see the queue's rows.)
///
/// Not safe for concurrent use: `SQLiteQueueDatabase` uses it under its lock.
final class SQLiteConnection {
    /// SQLite's connection handle.
    let handle: OpaquePointer
    /// The file path, for errors.
    let path: String
    private var statements: [String: OpaquePointer] = [:]
    /// The statements used last, looked up before `statements`: a sender runs the same five or
    /// six per message, and hashing their text for the dictionary showed in its profile (the
    /// same text is usually the same string storage, which `==` recognises at once).
    private var recent: [(sql: String, statement: OpaquePointer)] = []

    /// Opens (creating if needed) the database at `path` in WAL mode with foreign keys on.
    /// - Parameter busyTimeout: how long to wait for another process's write lock, in seconds.
    /// - Throws: `QueueError.database` naming the path (`sqlite:PATH`), also when the file is
    ///   not a SQLite database.
    init(path: String, busyTimeout: Double) throws(QueueError) {
        self.path = path
        var opened: OpaquePointer?
        // NOMUTEX: SQLite's own per-call mutex is not needed, the caller serialises.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard let opened else {
            throw QueueError(.database, field: "sqlite:\(path)", reason: "cannot open (SQLite error \(code))")
        }
        // Closed here and thrown before `handle` is set: a fully initialised instance would be
        // closed a second time by `deinit`.
        guard code == SQLITE_OK else {
            let reason = Self.message(opened)
            sqlite3_close_v2(opened)
            throw QueueError(.database, field: "sqlite:\(path)", reason: reason)
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, Int32(max(0, min(busyTimeout * 1000, Double(Int32.max)))))
        // WAL: readers never block the writer. NORMAL: a commit survives a crashed process (only
        // an OS crash or power loss may lose the last commits). Reads through a memory map, not
        // a pread(2) and a copy per page: a sender reads every request it sends once.
        do throws(QueueError) {
            try run("PRAGMA foreign_keys = ON")
            try run("PRAGMA synchronous = NORMAL")
            try run("PRAGMA mmap_size = 268435456")
            let mode = try SQLiteRawExecutor(self).query(SQLStatement(.sqlite, "PRAGMA journal_mode")).first?.first?.text
            if mode?.lowercased() != "wal" { try run("PRAGMA journal_mode = WAL") }
        } catch {
            // The first read of the file happens here (a file that is not a database, or one
            // this user cannot write): the file is named, not the set-up statement nobody wrote.
            throw QueueError(.database, field: "sqlite:\(path)", reason: Self.setupReason(handle))
        }
    }

    /// Why setting up the connection failed, in SQLite's words, with a hint for a file that is
    /// not a SQLite database.
    private static func setupReason(_ handle: OpaquePointer) -> String {
        let words = message(handle)
        switch sqlite3_errcode(handle) {
        case SQLITE_NOTADB: return "\(words) (not a SQLite file, or a damaged one)"
        default: return words
        }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// The statement for `sql`, prepared on first use and kept (the queue runs the same few
    /// statements over and over; preparing each anew cost more than running it).
    /// - Throws: `QueueError.database` with SQLite's message and the SQL; also when `sql` holds
    ///   more than one statement.
    func statement(_ sql: String) throws(QueueError) -> OpaquePointer {
        for entry in recent where entry.sql == sql { return entry.statement }
        let statement = try cachedOrPrepared(sql)
        if recent.count == 8 { recent.removeFirst() }
        recent.append((sql, statement))
        return statement
    }

    private func cachedOrPrepared(_ sql: String) throws(QueueError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var prepared: OpaquePointer?
        var severalStatements = false
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(handle, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, &tail)
            // The tail points into `text`: read here, while it exists.
            if let tail { severalStatements = String(cString: tail).contains { !$0.isWhitespace && $0 != ";" } }
            return code
        }
        guard code == SQLITE_OK, let prepared else {
            throw QueueError(.database, field: "SQLite", reason: "\(Self.message(handle)) (\(sql))")
        }
        if severalStatements {
            sqlite3_finalize(prepared)
            throw QueueError(.database, field: "SQLite", reason: "one statement at a time, not several (\(sql))")
        }
        statements[sql] = prepared
        return prepared
    }

    /// Runs `sql` (one statement, no values), stepping through any rows it returns.
    func run(_ sql: String) throws(QueueError) {
        _ = try SQLiteRawExecutor(self).execute(SQLStatement(.sqlite, sql))
    }

    /// True while a transaction is open.
    var isInsideTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The connection's last error message.
    var lastMessage: String { Self.message(handle) }

    private static func message(_ handle: OpaquePointer) -> String {
        sqlite3_errmsg(handle).map { String(cString: $0) } ?? "error \(sqlite3_errcode(handle))"
    }
}
