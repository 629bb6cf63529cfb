import GRDB
import GRDBSQLite

/// The queue's own connection runs its statements through SQLite's C interface, on GRDB's
/// cached (prepared once) statements: GRDB's argument checks and `Row` objects took a tenth of
/// a sender's time. (An application's connection keeps GRDB's path, which its observers see.)
extension SQLiteExecutor {
    /// Runs a statement and returns the number of rows changed.
    func executeDirect(_ statement: SQLStatement) throws(QueueError) -> Int {
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
    func queryDirect(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]] {
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

    /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT, …) the same direct way.
    func control(_ sql: String) throws(QueueError) {
        _ = try executeDirect(SQLStatement(.sqlite, sql))
    }
}
