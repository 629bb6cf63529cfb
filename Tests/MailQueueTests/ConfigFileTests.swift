import Foundation
import MailQueue
import Testing

/// `mail-queue send --config FILE`: the file's format and errors, and its place in the order
/// flags > environment > file > defaults, through the binary against aiosmtpd.
@Suite("Sender settings file")
struct ConfigFileTests {
    @Test("key = value lines, comments, quotes, CRLF; typed values")
    func parses() throws {
        let text = "# sender\r\nsmtp = mail.example.com:587\r\n  security=starttls\nhelo = \"client example\"\n\nbatch = 50\ntimeout = 2.5\nresend-uncertain = yes\n"
        let file = try SenderConfigFile.parse(text, file: "send.conf")
        #expect(file["smtp"] == "mail.example.com:587")
        #expect(file["security"] == "starttls")
        #expect(file["helo"] == "client example")
        #expect(try file.integer("batch") == 50)
        #expect(try file.number("timeout") == 2.5)
        #expect(try file.flag("resend-uncertain") == true)
        #expect(file["user"] == nil)
        let commented = try SenderConfigFile.parse(
            "batch = 300          # comment\nhelo = \"a # b\"  # comment\npattern = a#b\n", file: "c.conf")
        #expect(try commented.integer("batch") == 300)
        #expect(commented["helo"] == "a # b")
        #expect(commented["pattern"] == "a#b", "a # without white space before it is part of the value")
        #expect(try file.integer("connections") == nil)
    }

    @Test("each mistake names the file, the line and what was wrong", arguments: [
        ("smtp = a:1\nconections = 2\n", "send.conf:2", "unknown key 'conections'"),
        ("smtp\n", "send.conf:1", "expected key = value"),
        ("smtp = a:1\nsmtp = b:2\n", "send.conf:2", "already set on line 1"),
        ("helo = \"open\n", "send.conf:1", "quote is not closed"),
        ("helo = \"a\" b\n", "send.conf:1", "only a # comment may follow the closing quote"),
    ])
    func refusesMistakes(_ text: String, _ place: String, _ reason: String) throws {
        let error = try #require(throws: QueueError.self) { try SenderConfigFile.parse(text, file: "send.conf") }
        #expect(error.kind == .configuration)
        #expect(error.field == place)
        #expect(error.description.contains(reason), "\(error)")
    }

    @Test("typed values are checked where they are read")
    func typedValues() throws {
        let file = try SenderConfigFile.parse("batch = many\ntimeout = soon\nresend-uncertain = maybe\n", file: "f")
        #expect(throws: QueueError.self) { try file.integer("batch") }
        #expect(throws: QueueError.self) { try file.number("timeout") }
        #expect(throws: QueueError.self) { try file.flag("resend-uncertain") }
    }

    @Test("a password only in a file others cannot read; never echoed in the error")
    func passwordNeedsAPrivateFile() throws {
        let error = try #require(throws: QueueError.self) {
            try SenderConfigFile.parse("password = hunter2\n", file: "send.conf", mode: 0o100644)
        }
        #expect(error.description.contains("mode 644"))
        #expect(!error.description.contains("hunter2"))
        #expect(try SenderConfigFile.parse("password = hunter2\n", file: "send.conf", mode: 0o100600)["password"] == "hunter2")
        // Malformed lines that hold a password are not quoted back either.
        for text in ["password hunter2\n", "password = \"hunt\"er2\n", "password = \"hunter2\n", "password: hunt=er2\n",
                     "smtp-password hunt = er2\n", "password: \"hunt=er2\n"] {
            let malformed = try #require(throws: QueueError.self) { try SenderConfigFile.parse(text, file: "send.conf") }
            #expect(!malformed.description.contains("hunt") && !malformed.description.contains("er2"), "\(malformed)")
        }
    }

    @Test("the binary: the file alone delivers; a flag wins over it; a bad file exits 2 naming file:line and sends nothing")
    func throughTheBinary() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let directory = try temporaryDirectory()
        let database = "sqlite:\(directory)/queue.sqlite"
        let mq = TestEnvironment.binary
        #expect(try runProcess(mq, ["init", "--database", database]).status == 0)
        let enqueued = try runProcess(mq, ["enqueue", "--database", database, "--from", "alice@example.com",
                                           "--to", "bob@example.com", "--subject", "config", "--body", "b"])
        #expect(enqueued.status == 0, "\(enqueued.output)")

        // The database and the server come from the file; the environment names it.
        let config = directory + "/send.conf"
        try "database = \(database)\nsmtp = 127.0.0.1:1\nhelo = client.example.com\n".write(toFile: config, atomically: true, encoding: .utf8)
        // A flag wins over the file: --smtp points at aiosmtpd, the file at a closed port.
        let sent = try runProcess(mq, ["send", "--once", "--smtp", smtp, "--timeout", "10"], environment: ["MAIL_QUEUE_CONFIG": config])
        #expect(sent.status == 0, "\(sent.output)")
        #expect(sent.stdout.contains("sent 1,"), "\(sent.output)")

        // Without the flag the file's closed port is used: the request is retried, not sent.
        _ = try runProcess(mq, ["enqueue", "--database", database, "--from", "alice@example.com", "--to", "bob@example.com",
                                "--subject", "config 2", "--body", "b"])
        let refused = try runProcess(mq, ["send", "--once", "--config", config, "--timeout", "5"])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stdout.contains("sent 0,"), "\(refused.output)")

        // A mistake in the file: exit 2 with file:line, nothing claimed.
        try "database = \(database)\nsmtp = \(smtp)\nconnections = two\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try runProcess(mq, ["send", "--once", "--config", config])
        #expect(bad.status == 2, "\(bad.output)")
        #expect(bad.stderr.contains("\(config):3: connections must be a whole number, not 'two'"), "\(bad.output)")
        let status = try runProcess(mq, ["status", "--json", "--database", database])
        let counts = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(counts["sending"] as? Int == 0 && counts["sent"] as? Int == 1, "\(status.stdout)")
    }
}
