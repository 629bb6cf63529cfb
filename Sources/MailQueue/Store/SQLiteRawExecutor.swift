import GRDBSQLite

/// SQLiteRawExecutor runs statements on the queue's own connection (`SQLiteConnection`)
/// through SQLite's C interface, on statements prepared once, with the values bound and read
/// straight through it: GRDB's argument checks and `Row` objects took a tenth of a sender's
/// time. (An application's connection keeps GRDB's path, `SQLiteExecutor`, which its
/// observers see.)
struct SQLiteRawExecutor: SQLExecutor {
    let connection: SQLiteConnection

    init(_ connection: SQLiteConnection) { self.connection = connection }

    /// Always `.sqlite`.
    var dialect: SQLDialect { .sqlite }

    /// Runs a statement and returns the number of rows changed.
    @discardableResult
    func execute(_ statement: SQLStatement) throws(QueueError) -> Int {
        let handle = try prepared(statement)
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE: return Int(sqlite3_changes(connection.handle))
            case SQLITE_ROW: continue
            default: throw failure(statement)
            }
        }
    }

    /// Runs a query.
    func query(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]] {
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

    /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT, …) the same way.
    func control(_ sql: String) throws(QueueError) {
        _ = try execute(SQLStatement(.sqlite, sql))
    }

    /// The connection's prepared statement with `statement`'s values bound.
    private func prepared(_ statement: SQLStatement) throws(QueueError) -> OpaquePointer {
        let handle = try connection.statement(statement.sql)
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
        QueueError(.database, field: "SQLite", reason: "\(connection.lastMessage) (\(statement.sql))")
    }
}
