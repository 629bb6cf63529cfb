import CPostgres

/// PostgresConnection is one libpq connection. It is an `SQLExecutor`, so an application can
/// `BEGIN`, run its own statements and `MailQueueRequester.enqueue(_:on:)` on it, then `COMMIT`.
///
/// Errors name the server's message and SQLSTATE, never the connection string's password.
public final class PostgresConnection: SQLExecutor, @unchecked Sendable {
    /// libpq's connection (the wake-up listener polls its socket).
    let connection: OpaquePointer
    /// The connection URL with any password removed (for messages).
    public let safeURL: String

    /// Connects to `url` (`postgres://user@host:port/db`, libpq syntax; a password is better
    /// given in `PGPASSWORD` or `~/.pgpass` than in the URL).
    /// - Throws: `QueueError.database` with libpq's reason.
    public init(url: String) throws(QueueError) {
        safeURL = Self.redact(url)
        guard let connection = PQconnectdb(url) else {
            throw QueueError(.database, field: safeURL, reason: "libpq could not allocate a connection")
        }
        self.connection = connection
        guard PQstatus(connection) == CONNECTION_OK else {
            // No PQfinish here: every property is set, so deinit runs on this throw and
            // finishes the connection (finishing it here too freed it twice: a crash).
            let reason = String(cString: PQerrorMessage(connection)).trimming(" \n")
            throw QueueError(.database, field: safeURL, reason: reason)
        }
        _ = try? execute(SQLStatement(.postgres, "SET client_min_messages = warning"))
    }

    deinit { PQfinish(connection) }

    /// Always `.postgres`.
    public var dialect: SQLDialect { .postgres }

    /// Runs a statement and returns the number of rows changed.
    @discardableResult
    public func execute(_ statement: SQLStatement) throws(QueueError) -> Int {
        let result = try run(statement)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Runs a query; text columns come back as `.text`, BYTEA as `.blob`.
    public func query(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]] {
        let result = try run(statement)
        defer { PQclear(result) }
        let rows = PQntuples(result), columns = PQnfields(result)
        var out: [[SQLValue]] = []
        out.reserveCapacity(Int(rows))
        for row in 0..<rows {
            var values: [SQLValue] = []
            for column in 0..<columns {
                if PQgetisnull(result, row, column) == 1 { values.append(.null); continue }
                let length = Int(PQgetlength(result, row, column))
                let pointer = PQgetvalue(result, row, column)!
                if PQftype(result, column) == 17 {  // BYTEA, in text (hex) form
                    var size = 0
                    let decoded = pointer.withMemoryRebound(to: UInt8.self, capacity: length) { PQunescapeBytea($0, &size) }
                    values.append(.blob(decoded.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []))
                    PQfreemem(decoded)
                } else {
                    values.append(.text(String(cString: pointer)))
                }
            }
            out.append(values)
        }
        return out
    }

    /// Runs plain SQL without parameters (BEGIN, COMMIT, ROLLBACK, DDL).
    public func simple(_ sql: String) throws(QueueError) { try execute(SQLStatement(.postgres, sql)) }

    private func run(_ statement: SQLStatement) throws(QueueError) -> OpaquePointer {
        // Parameters: text for text and integers, binary for bytes. Results: text.
        var buffers: [[CChar]?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for value in statement.bindings {
            switch value {
            case .text(let v): buffers.append(Array(v.utf8CString)); lengths.append(0); formats.append(0)
            case .integer(let v): buffers.append(Array(String(v).utf8CString)); lengths.append(0); formats.append(0)
            case .blob(let v): buffers.append(v.map { CChar(bitPattern: $0) }); lengths.append(Int32(v.count)); formats.append(1)
            case .null: buffers.append(nil); lengths.append(0); formats.append(0)
            }
        }
        let result: OpaquePointer? = withPointers(buffers) { pointers in
            PQexecParams(connection, statement.sql, Int32(buffers.count), nil, pointers, lengths, formats, 0)
        }
        guard let result else {
            throw QueueError(.database, field: safeURL, reason: String(cString: PQerrorMessage(connection)))
        }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let message = String(cString: PQresultErrorMessage(result)).trimming(" \n")
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? "?"
            PQclear(result)
            throw QueueError(.database, field: safeURL, reason: "\(message) [SQLSTATE \(state)] in: \(statement.sql.prefix(120))")
        }
        return result
    }

    private func withPointers<R>(_ buffers: [[CChar]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafePointer<CChar>?] = []
        var allocations: [UnsafeMutablePointer<CChar>] = []
        for buffer in buffers {
            guard let buffer else { pointers.append(nil); continue }
            let memory = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, buffer.count))
            memory.initialize(from: buffer, count: buffer.count)
            allocations.append(memory)
            pointers.append(UnsafePointer(memory))
        }
        defer { allocations.forEach { $0.deallocate() } }
        return body(pointers)
    }

    /// `url` without its password (`postgres://user:secret@host` → `postgres://user:***@host`;
    /// `password=...` → `password=***`).
    public static func redact(_ url: String) -> String {
        var text = url
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") {
            let userInfo = text[scheme.upperBound..<at]
            if let colon = userInfo.firstIndex(of: ":") { text.replaceSubrange(colon..<at, with: ":***") }
        }
        if let range = text.range(of: "password=") {
            let end = text[range.upperBound...].firstIndex(where: { $0 == " " || $0 == "&" }) ?? text.endIndex
            text.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return text
    }
}

/// PostgresQueueDatabase is the queue's own PostgreSQL connection (CLI and sender). Claims use
/// `FOR UPDATE SKIP LOCKED`, so senders on many hosts share one database.
public final class PostgresQueueDatabase: QueueDatabase {
    /// The connection.
    public let connection: PostgresConnection

    /// Connects to `url`.
    public init(url: String) throws(QueueError) { connection = try PostgresConnection(url: url) }

    /// Always `.postgres`.
    public var dialect: SQLDialect { .postgres }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it throws).
    public func transaction<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        try connection.simple("BEGIN")
        do {
            let result = try body(connection)
            try connection.simple("COMMIT")
            return result
        } catch {
            try? connection.simple("ROLLBACK")
            throw error
        }
    }
}
