import Foundation
import GRDB
import GRDBSQLite

/// SQLiteExecutor runs statements on a GRDB `Database`: the application's own, inside its
/// transaction, through GRDB's statement API so that its `ValueObservation`s and caches see
/// every change. (The queue's own connection uses `SQLiteRawExecutor`.)
public struct SQLiteExecutor: SQLExecutor {
    /// The GRDB database (connection) to run on.
    public let db: Database

    /// Wraps a GRDB database (an application's: GRDB's observers see every change made).
    public init(_ db: Database) {
        self.db = db
    }

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


extension SQLiteExecutor {
    /// Wakes the daemons watching this database's ``SQLiteWakeFile`` once the transaction the
    /// enqueue ran in commits (at once when it ran outside one; never when it rolls back).
    func announceEnqueueOnCommit() {
        guard let connection = db.sqliteConnection, let name = sqlite3_db_filename(connection, "main") else { return }
        let path = String(cString: name)
        if db.isInsideTransaction {
            db.afterNextTransaction(onCommit: { _ in SQLiteWakeFile.touch(database: path) })
        } else {
            SQLiteWakeFile.touch(database: path)
        }
    }
}
