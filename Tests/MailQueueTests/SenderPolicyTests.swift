import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// The sender's two safety rules in isolation: a delivery-uncertain request is sent again only
/// when the user asks (`resendUncertain`, `send --resend-uncertain`), keeping its Message-ID;
/// and a sender whose claim was taken over never sends the final dot.
@Suite("Sender policy: uncertain requests and lost claims")
struct SenderPolicyTests {
    /// EHLO, the envelope, the body and the final dot; the two scripts below end it.
    static let upToTheDot = """
        220 mail.example.test ESMTP
        > EHLO client.example.com
        250 mail.example.test
        > MAIL FROM:<alice@example.com>
        250 2.1.0 Ok
        > RCPT TO:<bob@example.com>
        250 2.1.5 Ok
        > DATA
        354 go ahead
        > Subject: hello
        >
        > body
        > .
        """

    /// Up to the final dot, then the connection drops: the request ends `uncertain`.
    static let dropAfterDot = upToTheDot + "\n@close"

    /// A whole delivery.
    static let delivered = upToTheDot + "\n250 2.0.0 queued\n> QUIT\n221 bye"

    static func server(_ script: String, connections: Int = 1) throws -> TranscriptServer {
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 10)
        server.start(connections: connections, acceptTimeout: 20)
        return server
    }

    static func settings(_ port: Int) -> SMTPSettings {
        SMTPSettings(host: "127.0.0.1", port: port, heloName: "client.example.com", timeout: 5)
    }

    static func sender(path: String, port: Int, resendUncertain: Bool = false,
                       now: (@Sendable () -> Int64)? = nil) throws -> QueueSender {
        try QueueSender(
            store: { () throws(QueueError) -> QueueStore in
                QueueStore(database: try SQLiteQueueDatabase(path: path), now: now ?? { Clock.milliseconds() })
            },
            settings: settings(port), options: SenderOptions(resendUncertain: resendUncertain, once: true, random: { 0.5 }))
    }

    /// A queue holding one request left `uncertain` by a connection dropped after the final dot.
    static func uncertainRequest() throws -> (QueueStore, String, String) {
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest())
        let server = try server(dropAfterDot)
        defer { server.stop() }
        let report = try sender(path: path, port: server.port).run()
        _ = server.waitForOutcome(timeout: 10)
        let details = try store.details(id)
        #expect(details.status == .uncertain, "\(details.lastError ?? "-")")
        #expect(report.uncertain == 1)
        #expect(details.attempts == 1)
        return (store, path, id)
    }

    @Test("an uncertain request is left alone by a normal pass and sent again with resendUncertain, same Message-ID")
    func resendUncertainAPI() throws {
        let (store, path, id) = try Self.uncertainRequest()
        let messageID = try store.details(id).request.messageID
        let server = try Self.server(Self.delivered)
        defer { server.stop() }

        let normal = try Self.sender(path: path, port: server.port).run()
        #expect(normal == SenderReport(), "a normal pass claims nothing: \(normal)")
        let untouched = try store.details(id)
        #expect(untouched.status == .uncertain)
        #expect(untouched.attempts == 1, "not claimed by a normal pass")

        let again = try Self.sender(path: path, port: server.port, resendUncertain: true).run()
        #expect(again.sent == 1 && again.allSent, "\(again)")
        let outcome = try #require(server.waitForOutcome(timeout: 10), "the resend reached the server")
        #expect(outcome.followed, "\(String(describing: outcome.deviation))")
        #expect(outcome.transcript.render().contains(messageID), "the same Message-ID went out again")
        let sent = try store.details(id)
        #expect(sent.status == .sent)
        #expect(sent.request.messageID == messageID)
        #expect(sent.attempts == 2)
        #expect(sent.leaseOwner == nil)
    }

    @Test("mail-queue send --once leaves an uncertain request; --resend-uncertain sends it, same Message-ID")
    func resendUncertainCLI() throws {
        let (store, path, id) = try Self.uncertainRequest()
        let messageID = try store.details(id).request.messageID
        let server = try Self.server(Self.delivered)
        defer { server.stop() }
        let base = ["send", "--once", "--database", "sqlite:" + path, "--smtp", "127.0.0.1:\(server.port)",
                    "--helo", "client.example.com", "--timeout", "5"]

        let normal = try runProcess(TestEnvironment.binary, base, timeout: 60)
        #expect(normal.status == 0, "\(normal.output)")
        #expect(normal.stdout.contains("sent 0,"), "\(normal.stdout)")
        #expect(try store.details(id).status == .uncertain)
        #expect(try store.details(id).attempts == 1)

        let again = try runProcess(TestEnvironment.binary, base + ["--resend-uncertain"], timeout: 60)
        #expect(again.status == 0, "\(again.output)")
        #expect(again.stdout.contains("sent 1,"), "\(again.stdout)")
        let outcome = try #require(server.waitForOutcome(timeout: 10), "the resend reached the server")
        #expect(outcome.followed, "\(String(describing: outcome.deviation))")
        #expect(outcome.transcript.render().contains(messageID))
        let sent = try store.details(id)
        #expect(sent.status == .sent)
        #expect(sent.request.messageID == messageID)
    }

    @Test("claim taken over mid-send: no final dot, counted lost, the new owner keeps the request")
    func leaseLost() throws {
        let (store, path) = try makeSQLiteStore(now: { 1_000_000 })
        let id = try store.enqueue(textRequest())
        // A competitor whose clock is past the first sender's lease (SenderOptions' 300 s).
        let competitor = QueueStore(database: try SQLiteQueueDatabase(path: path), now: { 1_000_000 + 301_000 })
        let thief = "competitor:1"
        let server = try Self.server(Self.delivered)
        defer { server.stop() }
        // The first sender's clock stands still at 1_000_000; its database takes the competitor's
        // claim just before the uncertain mark, i.e. after the body went out and before the dot.
        let hooked = HookedDatabase(try SQLiteQueueDatabase(path: path), before: SenderStatements(dialect: .sqlite).markUncertain(id: id, owner: "").sql) {
            let taken = try competitor.claim(owner: thief, limit: 10, leaseMillis: 300_000, pattern: nil)
            #expect(taken == [id], "the competitor takes the expired claim")
        }
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: hooked, now: { 1_000_000 }) },
            settings: Self.settings(server.port), options: SenderOptions(once: true, random: { 0.5 }))
        let report = try sender.run()
        #expect(hooked.fired == 1, "the sender reached the uncertain mark once")
        #expect(report.lost == 1 && report.sent == 0 && report.uncertain == 0, "\(report)")

        let outcome = try #require(server.waitForOutcome(timeout: 10))
        let deviation = try #require(outcome.deviation, "the server saw no completed message")
        // The client hung up after DATA's 354, before (or in) the content: never the dot.
        #expect(deviation.reason.contains("the client closed the connection"), "\(deviation)")
        #expect(outcome.transcript.entries.contains { $0.kind == .command("DATA") }, "the sender got as far as DATA")
        #expect(!outcome.transcript.entries.contains { $0.kind == .endOfData }, "no final dot reached the server")

        let details = try store.details(id)
        #expect(details.status == .sending, "not sent, not uncertain: the competitor's")
        #expect(details.leaseOwner == thief)
        #expect(details.sentAt == nil)
        // The competitor's own marks still work; the loser's never do.
        #expect(try !store.markUncertain(id, owner: "someone else"))
        #expect(try competitor.markUncertain(id, owner: thief))
    }
}

/// HookedDatabase runs `hook` on its own (outside any transaction) just before the first
/// transaction that executes a statement with the SQL `before`: that transaction is rolled back
/// when the statement shows up, the hook runs, and the transaction is run again.
final class HookedDatabase: QueueDatabase, @unchecked Sendable {
    let inner: any QueueDatabase
    let before: String
    let hook: () throws -> Void
    private let lock = NSLock()
    private var count = 0

    init(_ inner: any QueueDatabase, before: String, hook: @escaping () throws -> Void) {
        self.inner = inner
        self.before = before
        self.hook = hook
    }

    /// How many times the hook ran.
    var fired: Int { lock.withLock { count } }

    var dialect: SQLDialect { inner.dialect }

    static let interrupted = QueueError(.database, field: "HookedDatabase", reason: "interrupted to run the hook")

    func transaction<T>(_ body: (any SQLExecutor) throws(QueueError) -> T) throws(QueueError) -> T {
        let armed = lock.withLock { count == 0 }
        guard armed else { return try inner.transaction(body) }
        do {
            return try inner.transaction { (db) throws(QueueError) -> T in try body(Probe(db, before: before)) }
        } catch where error == Self.interrupted {
            lock.withLock { count += 1 }
            do { try hook() } catch { Issue.record("hook: \(error)") }
            return try inner.transaction(body)
        }
    }

    struct Probe: SQLExecutor {
        let db: any SQLExecutor
        let before: String
        init(_ db: any SQLExecutor, before: String) {
            self.db = db
            self.before = before
        }
        var dialect: SQLDialect { db.dialect }
        func execute(_ statement: SQLStatement) throws(QueueError) -> Int {
            if statement.sql == before { throw HookedDatabase.interrupted }
            return try db.execute(statement)
        }
        func query(_ statement: SQLStatement) throws(QueueError) -> [[SQLValue]] {
            if statement.sql == before { throw HookedDatabase.interrupted }
            return try db.query(statement)
        }
    }
}
