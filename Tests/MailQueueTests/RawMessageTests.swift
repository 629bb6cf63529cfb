import Foundation
import MailQueue
import SMTPConversation
import Testing

/// Raw messages (the relay's kind of request): stored as given, the envelope apart, sent byte
/// for byte.
@Suite("Raw message requests")
struct RawMessageTests {
    static let content = Array("""
        Received: from client.test by relay.test; Sat, 5 Dec 2026 00:00:00 +0000\r
        From: Alice <alice@example.com>\r
        To: Bob <bob@example.com>\r
        Subject: raw\r
         folded\r
        Message-ID: <raw-1@example.com>\r
        \r
        .a line starting with a dot\r
        8-bit: caf\u{e9}\r

        """.utf8)

    func check(_ store: QueueStore) throws {
        let before = try store.counts()[.unsent] ?? 0
        let id = try store.enqueue(RawMessage(
            sender: "alice@example.com", recipients: ["bob@example.com", "hidden@example.com"], content: Self.content,
            patternID: "o365"))
        let details = try store.details(id)
        #expect(details.request.raw == Self.content)
        #expect(details.request.subject == "raw folded")
        #expect(details.request.messageID == "<raw-1@example.com>")
        #expect(details.request.recipients.map(\.address) == ["bob@example.com", "hidden@example.com"])
        #expect(details.request.patternID == "o365")
        #expect(try store.counts()[.unsent] == before + 1)
        #expect(throws: QueueError.self) { try store.enqueue(RawMessage(sender: "a@x", recipients: [], content: Self.content)) }
    }

    @Test("stored and read back byte for byte in SQLite")
    func sqlite() throws {
        let (store, _) = try makeSQLiteStore()
        try check(store)
    }

    @Test("stored and read back byte for byte in PostgreSQL")
    func postgres() throws {
        try withPostgresQueue { store, _ in try check(store) }
    }

    @Test("a version-1 queue is migrated to hold raw messages, keeping its requests")
    func migration() throws {
        let (store, path) = try makeSQLiteStore()
        let id = try store.enqueue(textRequest())
        // Back to version 1 as an older mail-queue left it.
        let db = try SQLiteQueueDatabase(path: path)
        try db.transaction { (db) throws(QueueError) in
            // Version 4's parts first (schedule and the claim index), then version 3's
            // (retention and priority), then version 2's.
            try db.execute(SQLStatement(.sqlite, "DROP INDEX mail_request_claim"))
            try db.execute(SQLStatement(.sqlite, "ALTER TABLE mail_request DROP COLUMN not_before"))
            try db.execute(SQLStatement(.sqlite, "DROP INDEX mail_request_finished"))
            try db.execute(SQLStatement(.sqlite, "ALTER TABLE mail_request DROP COLUMN finished_at"))
            try db.execute(SQLStatement(.sqlite, "ALTER TABLE mail_request DROP COLUMN priority"))
            try db.execute(SQLStatement(.sqlite, "ALTER TABLE mail_request DROP COLUMN raw_message"))
            try db.execute(SQLStatement(.sqlite, "DELETE FROM mail_queue_version WHERE version >= 2"))
        }
        #expect(throws: QueueError.self) { try store.checkSchema() }
        #expect(try store.migrate() == 1)
        try store.checkSchema()
        #expect(try store.details(id).request.raw == nil)
        try check(store)
    }

    @Test("show prints the headers only; show --raw the whole message exactly; status counts it")
    func showCLI() throws {
        let queue = try CLIQueue()
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        let id = try store.enqueue(RawMessage(sender: "alice@example.com", recipients: ["bob@example.com"], content: Self.content))
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("rcpt to:     bob@example.com"))
        #expect(shown.stdout.contains("  Subject: raw") && shown.stdout.contains("  Message-ID: <raw-1@example.com>"))
        #expect(!shown.stdout.contains("a line starting with a dot"), "\(shown.stdout)")
        let out = queue.directory + "/raw.eml"
        let written = try runProcess("/bin/sh", ["-c", "exec \"$0\" show --raw \"$1\" --database \"$2\" > \"$3\"",
                                                 TestEnvironment.binary, id, queue.database, out])
        #expect(written.status == 0, "\(written.output)")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: out))) == Self.content)
        #expect(try queue.counts()["unsent"] == 1)
        let text = try queue.enqueue("text")
        let refused = try queue.run(["show", "--raw", text])
        #expect(refused.status == 2 && refused.stderr.contains("not a raw message"))
    }

    @Test("show prints a header folded with a tab as it is, the tab kept, other control characters still escaped")
    func showFoldedHeader() throws {
        let queue = try CLIQueue()
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        let content = Array("From: alice@example.com\r\nSubject: long\r\n\tfolded\u{1B}[2J\r\nX-Tab:\tvalue\r\n\r\nbody\r\n".utf8)
        let id = try store.enqueue(RawMessage(sender: "alice@example.com", recipients: ["bob@example.com"], content: content))
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0, "\(shown.output)")
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("  \tfolded\\x1B[2J") && lines.contains("  X-Tab:\tvalue"), "\(shown.stdout.debugDescription)")
        #expect(!shown.stdout.contains("\\t") && !shown.stdout.contains("\u{1B}"), "\(shown.stdout.debugDescription)")
    }

    @Test("sent upstream byte for byte, re-dot-stuffed, with BODY=8BITMIME; the envelope recipients only in RCPT")
    func sentByteForByte() throws {
        guard let peer = TestEnvironment.peer("SMTP_AIOSMTPD"), let maildir = TestEnvironment.required("SMTP_AIOSMTPD_MAILDIR") else { return }
        let (store, path) = try makeSQLiteStore()
        let marker = "raw-\(UUID().uuidString)"
        let content = Self.content + Array("\(marker)\r\n..two dots\r\n".utf8)
        let id = try store.enqueue(RawMessage(sender: "alice@example.com", recipients: ["bob@example.com", "hidden@example.com"],
                                              content: content))
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: SMTPSettings(host: peer.host, port: peer.port, security: .none, heloName: "client.test", timeout: 10),
            options: SenderOptions(once: true))
        _ = try sender.run()
        let details = try store.details(id)
        #expect(details.status == .sent, "\(details.lastError ?? "")")
        let received = Maildir.await(1, in: maildir, containing: marker)
        let (name, bytes) = try #require(received.first)
        #expect(Array(bytes) == content)
        let meta = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: name.replacingOccurrences(of: ".eml", with: ".json"))))
            as? [String: Any]
        #expect(meta?["rcpt_tos"] as? [String] == ["bob@example.com", "hidden@example.com"])
        #expect((meta?["mail_options"] as? [String])?.contains("BODY=8BITMIME") == true)
    }
}
