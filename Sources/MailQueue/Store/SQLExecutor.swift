/// SQLExecutor runs statements on one open database connection. The SQLite (GRDB) and
/// PostgreSQL (libpq) adapters implement it; the queue's logic is written once above it.
public protocol SQLExecutor {
    /// The dialect statements must be written in.
    var dialect: SQLDialect { get }
    /// Runs a statement that returns no rows.
    /// - Returns: the number of rows changed.
    @discardableResult
    func execute(_ statement: SQLStatement) throws(QueueError) -> Int
    /// Runs a query.
    /// - Returns: the rows, each a list of column values.
    func query(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]]
}

/// QueueDatabase is a connection the queue owns (the CLI and the sender), able to run a
/// transaction of its own. (The requester API instead takes the application's transaction.)
public protocol QueueDatabase: AnyObject {
    /// The dialect.
    var dialect: SQLDialect { get }
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// SQLite takes the write lock at once (`BEGIN IMMEDIATE`).
    func transaction<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T
    /// Runs `body` in a transaction that only reads: SQLite does not take the write lock
    /// (`BEGIN DEFERRED`), so readers do not queue behind the senders' marks.
    func read<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T
}

extension QueueDatabase {
    /// By default a read is an ordinary transaction.
    public func read<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        try transaction(body)
    }
}

extension SQLValue {
    /// The value as text, if it is text (or an integer, written in decimal).
    var text: String? {
        switch self {
        case .text(let value): return value
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The value as an integer (PostgreSQL's text results are parsed).
    var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .text(let value): return Int64(value)
        default: return nil
        }
    }

    /// The value as bytes.
    var bytes: [UInt8]? {
        switch self {
        case .blob(let value): return value
        case .text(let value): return Array(value.utf8)
        default: return nil
        }
    }
}
