import Foundation
@testable import MailQueue
import Testing

/// The queue's own SQLite connection (SQLite's C interface, statements kept).
@Suite("The queue's SQLite connection")
struct SQLiteConnectionTests {
    @Test("a file that cannot be opened is an error naming it (and the handle is closed once)")
    func openFailure() {
        let path = "/nonexistent-\(UUID().uuidString)/queue.sqlite"
        do {
            _ = try SQLiteConnection(path: path, busyTimeout: 1)
            Issue.record("opened \(path)")
        } catch {
            #expect(error.field == "sqlite:\(path)" && error.description.contains("unable to open"), "\(error)")
        }
    }

    @Test("a file that is not a SQLite database is an error naming it, without the set-up SQL")
    func notADatabase() throws {
        let path = try temporaryDirectory() + "/notdb.sqlite"
        try "just some text, longer than nothing, not a database header at all\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: QueueError.self) { try SQLiteConnection(path: path, busyTimeout: 1) }
        #expect(error.kind == .database)
        #expect(error.description == "sqlite:\(path): file is not a database (not a SQLite file, or a damaged one)", "\(error)")
        for command in [["status"], ["init"], ["show", "x"]] {
            let result = try runProcess(TestEnvironment.binary, command + ["--database", "sqlite:" + path])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr == "mail-queue: database: sqlite:\(path): file is not a database (not a SQLite file, or a damaged one)\n",
                    "\(result.output)")
        }
    }

    @Test("synchronous is NORMAL by default; syncEveryCommit (the relay's) makes it FULL on the shared connection")
    func syncEveryCommit() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sync-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try SQLiteQueueDatabase(path: path)
        func level() throws -> Int64? {
            try database.read { (db) throws(QueueError) in try db.query(SQLStatement(.sqlite, "PRAGMA synchronous")).first?.first?.integer }
        }
        #expect(try level() == 1)
        try database.syncEveryCommit()
        #expect(try level() == 2)
    }

    @Test("WAL and foreign keys on; statements kept and reused; several statements in one text refused")
    func statements() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("conn-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let connection = try SQLiteConnection(path: path, busyTimeout: 1)
        let db = SQLiteRawExecutor(connection)
        #expect(try db.query(SQLStatement(.sqlite, "PRAGMA journal_mode")).first?.first?.text == "wal")
        #expect(try db.query(SQLStatement(.sqlite, "PRAGMA foreign_keys")).first?.first?.integer == 1)
        try db.control("CREATE TABLE t (v TEXT)")
        let insert = "INSERT INTO t (v) VALUES (?)"
        // More statements than the recent list holds, so that lookups also go through the dictionary.
        for round in 0..<3 {
            for n in 0..<12 { try db.execute(SQLStatement(.sqlite, "SELECT \(n)")) }
            #expect(try db.execute(SQLStatement(.sqlite, insert, [.text("r\(round)")])) == 1)
        }
        #expect(try connection.statement(insert) == connection.statement(insert))
        #expect(try db.query(SQLStatement(.sqlite, "SELECT v FROM t ORDER BY rowid")).map { $0[0].text } == ["r0", "r1", "r2"])
        for several in ["SELECT 1; SELECT 2", "COMMIT; BEGIN"] {
            #expect(throws: QueueError.self, "\(several)") { try db.execute(SQLStatement(.sqlite, several)) }
        }
        try db.execute(SQLStatement(.sqlite, "SELECT 1;  "))
    }
}
