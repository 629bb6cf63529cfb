import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// A configuration error while opening the connection (here: AUTH over cleartext, which the
/// sender refuses) spends no attempt and schedules no retry: the claimed requests go back
/// unsent, due as before, attempts unchanged, in SQLite and PostgreSQL alike.
@Suite("A configuration error leaves the requests as they were")
struct ConfigurationErrorTests {
    /// A server without STARTTLS that offers AUTH: the sender must not send the password.
    static let cleartextAuth = """
        220 mail.example.test ESMTP
        > EHLO client.example.com
        250-mail.example.test
        250 AUTH PLAIN LOGIN
        """

    /// A server that answers EHLO then drops the connection: transient, an attempt counted.
    static let dropped = """
        220 mail.example.test ESMTP
        > EHLO client.example.com
        @close
        """

    static func settings(_ port: Int) -> SMTPSettings {
        SMTPSettings(host: "127.0.0.1", port: port, security: .none, username: "me", secret: .password("x"),
                     heloName: "client.example.com", timeout: 5)
    }

    /// Two requests, two `send --once` passes against `script`; returns the reports and the
    /// requests' details before and after.
    static func run(_ script: String, store: QueueStore, makeStore: @escaping QueueSender.StoreFactory) throws
        -> (reports: [SenderReport], before: [RequestDetails], after: [RequestDetails])
    {
        let ids = try (0..<2).map { try store.enqueue(textRequest(subject: "held \($0)")) }
        let before = try ids.map { try store.details($0) }
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 10)
        server.start(connections: 2, acceptTimeout: 20)
        defer { server.stop() }
        var reports: [SenderReport] = []
        for _ in 0..<2 {
            let sender = try QueueSender(store: makeStore, settings: settings(server.port),
                                         options: SenderOptions(once: true, random: { 0.5 }))
            reports.append(try sender.run())
        }
        return (reports, before, try ids.map { try store.details($0) })
    }

    static func checkConfigurationError(store: QueueStore, makeStore: @escaping QueueSender.StoreFactory) throws {
        let (reports, before, after) = try run(cleartextAuth, store: store, makeStore: makeStore)
        for report in reports {
            #expect(report.configurationError != nil, "\(report)")
            #expect(report.retried == 0 && report.failed == 0 && report.sent == 0, "\(report)")
            #expect(report.heldBack == 2, "\(report)")
            #expect(!report.allSent)
        }
        for (old, new) in zip(before, after) {
            #expect(new.status == .unsent)
            #expect(new.attempts == old.attempts && new.attempts == 0, "no attempt counted: \(new.attempts)")
            #expect(new.nextAttemptAt == old.nextAttemptAt, "due as before")
            #expect(new.leaseOwner == nil, "the claim is let go")
            #expect(new.lastError?.contains("connect:") == true, "why it was not sent: \(new.lastError ?? "-")")
        }
        #expect(try store.waiting().count == 0, "nothing waits for a retry")
    }

    static func checkTransient(store: QueueStore, makeStore: @escaping QueueSender.StoreFactory) throws {
        let (reports, before, after) = try run(dropped, store: store, makeStore: makeStore)
        #expect(reports[0].configurationError == nil && reports[0].retried == 2 && reports[0].heldBack == 0, "\(reports[0])")
        for (old, new) in zip(before, after) {
            #expect(new.status == .unsent && new.attempts == 1, "a transient failure counts its attempt")
            #expect(new.nextAttemptAt > old.nextAttemptAt, "retried later")
        }
    }

    @Test("SQLite: cleartext AUTH refused spends no attempt; a dropped connection does")
    func sqlite() throws {
        for check in [Self.checkConfigurationError, Self.checkTransient] {
            let (store, path) = try makeSQLiteStore()
            try check(store, { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) })
        }
    }

    @Test("PostgreSQL: cleartext AUTH refused spends no attempt; a dropped connection does")
    func postgres() throws {
        for check in [Self.checkConfigurationError, Self.checkTransient] {
            try withPostgresQueue { store, url in
                try check(store, { () throws(QueueError) -> QueueStore in QueueStore(database: try PostgresQueueDatabase(url: url)) })
            }
        }
    }

    @Test("the binary: exit 2, the summary says nothing was sent because of the configuration error, attempts stay 0")
    func throughTheBinary() throws {
        let server = try TranscriptServer(transcript: try Transcript(parsing: Self.cleartextAuth), mode: .meaning, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 20)
        defer { server.stop() }
        let queue = try CLIQueue()
        let ids = try (0..<2).map { try queue.enqueue("held \($0)") }
        let result = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--user", "me",
                                    "--helo", "client.example.com", "--timeout", "5"],
                                   environment: ["MAIL_QUEUE_SMTP_PASSWORD": "x"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stdout.contains("sent 0, failed 0, retried 0,"), "\(result.output)")
        #expect(result.stdout.contains("nothing sent because of the configuration error below: 2 request(s) left unsent as they were"),
                "\(result.output)")
        #expect(!result.stdout.contains("waiting to retry"), "\(result.output)")
        #expect(result.stderr.contains("mail-queue: cannot use the SMTP server: connect: "), "\(result.output)")
        for id in ids {
            let shown = try queue.run(["show", id])
            #expect(shown.stdout.contains("status:      unsent") && shown.stdout.contains("attempts:    0"), "\(shown.stdout)")
            #expect(!shown.stdout.contains("next try:"), "due now, as before: \(shown.stdout)")
        }
    }
}
