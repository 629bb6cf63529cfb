/// SQLValue is a value bound to a statement parameter.
public enum SQLValue: Sendable, Hashable {
    /// Text.
    case text(String)
    /// A 64-bit integer (counts, and times as milliseconds since 1970).
    case integer(Int64)
    /// Bytes (attachments): BLOB in SQLite, BYTEA in PostgreSQL.
    case blob([UInt8])
    /// NULL.
    case null

    /// `.text(value)`, or `.null` when nil.
    public static func optional(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
}

/// SQLStatement is one statement with its bound values, ready for a driver: `?` placeholders
/// for SQLite, `$1`, `$2`, … for PostgreSQL. Building one does no I/O, so an application on
/// any driver (GRDB, libpq, PostgresNIO, SQLKit) can run it inside its own transaction.
public struct SQLStatement: Sendable, Hashable, CustomStringConvertible {
    /// The SQL text with placeholders in the dialect's style.
    public let sql: String
    /// The values for the placeholders, in order.
    public let bindings: [SQLValue]

    /// Creates a statement from SQL written with `?` placeholders, rewritten for `dialect`.
    /// Only use `?` as a placeholder: never inside quoted literals or identifiers.
    public init(_ dialect: SQLDialect, _ sql: String, _ bindings: [SQLValue] = []) {
        self.sql = dialect.placeholders(sql)
        self.bindings = bindings
    }

    /// The same SQL text with `bindings` (no rewriting of placeholders again).
    public func binding(_ bindings: [SQLValue]) -> SQLStatement {
        SQLStatement(sql: sql, bindings: bindings)
    }

    private init(sql: String, bindings: [SQLValue]) {
        self.sql = sql
        self.bindings = bindings
    }

    /// The SQL text and the number of bindings (never the bound values, which may be private).
    public var description: String { "\(sql) -- \(bindings.count) bound value(s)" }
}

/// SQLDialect is the database a statement is written for.
public enum SQLDialect: String, Sendable, Hashable {
    /// SQLite 3.35 or later (through GRDB here).
    case sqlite
    /// PostgreSQL 12 or later.
    case postgres

    func placeholders(_ sql: String) -> String {
        guard self == .postgres else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        for c in sql {
            if c == "?" { n += 1; out += "$\(n)" } else { out.append(c) }
        }
        return out
    }

    /// The column type for 64-bit integers.
    var bigint: String { self == .postgres ? "BIGINT" : "INTEGER" }
    /// The column type for bytes.
    var bytes: String { self == .postgres ? "BYTEA" : "BLOB" }
}
