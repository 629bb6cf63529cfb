import Foundation
import MailQueue
import Testing

/// Several `mail-queue send` processes drain one database into aiosmtpd; every request must
/// arrive exactly once (counted by Message-ID in the sink's files). A sender SIGKILLed at a
/// random point leaves nothing lost and nothing silently duplicated.
@Suite("Multi-process senders", .serialized)
struct MultiProcessTests {
    /// Requests per drain: MQ_DRAIN_COUNT (default: the 5000).
    static var count: Int { Int(TestEnvironment.environment("MQ_DRAIN_COUNT") ?? "") ?? 5000 }

    static func spawn(_ arguments: [String], database: String) throws -> Child {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary)
        process.arguments = arguments + ["--database", database]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return try Child(process)
    }

    /// Message-IDs in the sink's files written after `before` (file names are sequential).
    static func delivered(maildir: String, after before: Set<String>) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: maildir) where name.hasSuffix(".eml") && !before.contains(name) {
            let text = try String(contentsOfFile: maildir + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\r\n").prefix(40) where line.lowercased().hasPrefix("message-id:") {
                let id = line.dropFirst("message-id:".count).trimmingCharacters(in: .whitespaces)
                counts[id, default: 0] += 1
            }
        }
        return counts
    }

    func enqueueMany(_ store: QueueStore, _ n: Int, tag: String) throws -> Set<String> {
        var ids: Set<String> = []
        for i in 0..<n {
            ids.insert(try store.enqueue(textRequest(to: ["r\(i)@example.com"], subject: "\(tag) \(i)")))
        }
        return ids
    }

    func drain(database: String, store: QueueStore) throws {
        guard let smtp = TestEnvironment.environment("SMTP_AIOSMTPD"), let maildir = TestEnvironment.environment("SMTP_AIOSMTPD_MAILDIR")
        else { _ = TestEnvironment.peer("SMTP_AIOSMTPD"); return }
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: maildir))
        let ids = try enqueueMany(store, Self.count, tag: "drain")
        let senders = try (0..<4).map { _ in
            try Self.spawn(["send", "--once", "--smtp", smtp, "--batch", "10", "--timeout", "20"], database: database)
        }
        let statuses = try senders.map { try $0.wait() }
        #expect(statuses.allSatisfy { $0 == 0 })
        #expect(try store.counts()[.sent] == Self.count)
        // aiosmtpd writes the .json last; wait (bounded) for the last files to land.
        let expected = Set(try ids.map { try store.load($0).messageID })
        var counts: [String: Int] = [:]
        _ = try eventually(timeout: 20) {
            counts = try Self.delivered(maildir: maildir, after: before).filter { expected.contains($0.key) }
            return counts.count == expected.count
        }
        #expect(counts.count == expected.count, "every request delivered")
        #expect(counts.values.allSatisfy { $0 == 1 }, "none delivered twice: \(counts.filter { $0.value > 1 }.prefix(5))")
    }

    @Test("4 sender processes on one SQLite file: every request sent exactly once")
    func sqliteDrain() throws {
        let (store, path) = try makeSQLiteStore()
        try drain(database: "sqlite:" + path, store: store)
    }

    @Test("4 sender processes on one PostgreSQL database: every request sent exactly once")
    func postgresDrain() throws {
        try withPostgresQueue { store, scoped in try drain(database: scoped, store: store) }
    }

    @Test("a sender SIGKILLed at random points: afterwards every request is sent, failed or uncertain; none lost, none sent twice unless uncertain")
    func sigkill() throws {
        guard let smtp = TestEnvironment.environment("SMTP_AIOSMTPD"), let maildir = TestEnvironment.environment("SMTP_AIOSMTPD_MAILDIR")
        else { _ = TestEnvironment.peer("SMTP_AIOSMTPD"); return }
        let (store, path) = try makeSQLiteStore()
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: maildir))
        let n = min(Self.count, 1000)
        let ids = try enqueueMany(store, n, tag: "kill")
        let arguments = ["send", "--once", "--smtp", smtp, "--batch", "5", "--lease-seconds", "1", "--timeout", "20"]
        var kills = 0
        for _ in 0..<5 {
            let sender = try Self.spawn(arguments, database: "sqlite:" + path)
            let target = (try store.counts()[.sent] ?? 0) + Int.random(in: 20...120)
            _ = try eventually(timeout: 30) { try store.counts()[.sent] ?? 0 >= target || !sender.isRunning }
            if sender.isRunning { kill(sender.pid, SIGKILL); kills += 1 }
            try sender.wait()
        }
        // The killed senders' claims expire after 1 s (--lease-seconds 1): restart a sender
        // until nothing is left to claim (bounded).
        var counts = try store.counts()
        _ = try eventually(timeout: 30) {
            let restarted = try Self.spawn(arguments, database: "sqlite:" + path)
            try restarted.wait()
            counts = try store.counts()
            return counts[.unsent] == 0 && counts[.sending] == 0
        }
        #expect(kills > 0, "the test killed a sender mid-run")
        #expect(counts[.unsent] == 0 && counts[.sending] == 0, "\(counts)")
        #expect((counts[.sent] ?? 0) + (counts[.failed] ?? 0) + (counts[.uncertain] ?? 0) == n)
        let uncertain = Set(try store.ids(in: .uncertain).map { try store.load($0).messageID })
        let expected = Set(try ids.map { try store.load($0).messageID })
        var delivered: [String: Int] = [:]
        _ = try eventually(timeout: 20) {
            delivered = try Self.delivered(maildir: maildir, after: before).filter { expected.contains($0.key) }
            return delivered.count >= (counts[.sent] ?? 0)
        }
        for id in expected.subtracting(uncertain) {
            let copies = delivered[id] ?? 0
            #expect(copies <= 1, "\(id) delivered \(copies) times and not reported uncertain")
        }
        for id in try store.ids(in: .sent, limit: n).map({ try store.load($0).messageID }) {
            #expect(delivered[id] != nil, "\(id) marked sent but never delivered")
        }
    }
}
