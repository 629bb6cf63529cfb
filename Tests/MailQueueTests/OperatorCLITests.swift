import Foundation
import MailQueue
import Testing

/// What an operator does with `mail-queue` beyond enqueue: send one pattern only, look at a
/// failed request, retry it, and be warned at start-up about an expiring wallet certificate.
@Suite("mail-queue for operators")
struct OperatorCLITests {
    @Test("send --pattern sends only that pattern's requests; the others stay unsent")
    func patternFilter() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let invoices = try (0..<2).map { try queue.enqueue("invoice \($0)", pattern: "invoice") }
        let newsletter = try queue.enqueue("newsletter", pattern: "newsletter")
        let plain = try queue.enqueue("no pattern")
        let sent = try queue.run(["send", "--once", "--smtp", smtp, "--pattern", "invoice", "--timeout", "10"])
        #expect(sent.status == 0 && sent.stdout.contains("sent 2,"), "\(sent.output)")
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        for id in invoices { #expect(try store.details(id).status == .sent) }
        #expect(try store.details(newsletter).status == .unsent)
        #expect(try store.details(plain).status == .unsent)
    }

    @Test("a failed request: status counts it, show gives the error, retry makes it unsent, and it is then sent")
    func failedShowRetry() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let id = try queue.enqueue("will fail first")
        // Port 1 on loopback refuses the connection; one attempt allowed: failed at once.
        let failed = try queue.run(["send", "--once", "--smtp", "127.0.0.1:1", "--max-attempts", "1", "--timeout", "5"])
        #expect(failed.status == 1, "\(failed.output)")
        #expect(try queue.counts()["failed"] == 1)
        let shown = try queue.run(["show", id])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("status:      failed"), "\(shown.stdout)")
        #expect(shown.stdout.contains("last error:") && shown.stdout.contains("connect"), "\(shown.stdout)")
        let unknown = try queue.run(["show", "no-such-id"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no-such-id"), "\(unknown.output)")

        let retried = try queue.run(["retry", "--failed"])
        #expect(retried.status == 0, "\(retried.output)")
        #expect(try queue.counts()["unsent"] == 1 && queue.counts()["failed"] == 0)
        let sent = try queue.run(["send", "--once", "--smtp", smtp, "--timeout", "10"])
        #expect(sent.status == 0 && sent.stdout.contains("sent 1,"), "\(sent.output)")
        // retry ID leaves a sent request alone and says so.
        let again = try queue.run(["retry", id])
        #expect(again.output.contains(id), "\(again.output)")
        #expect(try queue.counts()["sent"] == 1)
    }

    @Test("template put, list and show; an unknown template is an error")
    func templates() throws {
        let queue = try CLIQueue()
        try "こんにちは {{name}} さん\n".write(toFile: queue.directory + "/ja.mustache", atomically: true, encoding: .utf8)
        try "Hello {{name}}\n".write(toFile: queue.directory + "/en.mustache", atomically: true, encoding: .utf8)
        for (lang, file, charset) in [("ja", "ja.mustache", "ISO-2022-JP"), ("en", "en.mustache", "UTF-8")] {
            let put = try queue.run(["template", "put", "--id", "welcome", "--lang", lang, "--subject", "Welcome {{name}}",
                                     "--body-file", queue.directory + "/" + file, "--charset", charset])
            #expect(put.status == 0 && put.stdout.contains("stored template welcome (\(lang))"), "\(put.output)")
        }
        let list = try queue.run(["template", "list"])
        #expect(list.stdout == "welcome\ten\tUTF-8\tWelcome {{name}}\nwelcome\tja\tISO-2022-JP\tWelcome {{name}}\n", "\(list.output)")
        let show = try queue.run(["template", "show", "--id", "welcome", "--lang", "ja"])
        #expect(show.stdout == "subject: Welcome {{name}}\ncharset: ISO-2022-JP\n\nこんにちは {{name}} さん\n", "\(show.output)")
        let missing = try queue.run(["template", "show", "--id", "welcome", "--lang", "fr"])
        #expect(missing.status == 2 && missing.stderr.contains("no template 'welcome' in language 'fr'"), "\(missing.output)")
    }

    @Test("an unreachable PostgreSQL: a database error naming the URL without its password (exit 2), no crash")
    func unreachablePostgres() throws {
        let url = "postgres://mq:secret-pw-9@127.0.0.1:1/queue"
        let error = try #require(throws: QueueError.self) { try PostgresConnection(url: url) }
        #expect(error.kind == .database)
        #expect(error.description.contains("postgres://mq:***@127.0.0.1:1/queue"), "\(error)")
        #expect(!error.description.contains("secret-pw-9"))
        for arguments in [["init"], ["status"], ["send", "--once", "--smtp", "127.0.0.1:1"]] {
            let result = try runProcess(TestEnvironment.binary, arguments + ["--database", url])
            #expect(result.status == 2, "\(arguments): \(result.output)")
            #expect(result.stderr.contains("mail-queue: database: postgres://mq:***@127.0.0.1:1/queue"), "\(result.stderr)")
            #expect(!result.output.contains("secret-pw-9"))
        }
    }

    @Test("usage and settings mistakes exit 2 with the reason", arguments: [
        (["send", "--once"], "--smtp host:port"),
        (["send"], "exactly one of --once and --daemon"),
        (["send", "--once", "--smtp", "x:1", "--security", "tls"], "--security tls"),
        (["bogus"], "Unexpected argument 'bogus'"),
    ])
    func usageMistakes(_ arguments: [String], _ reason: String) throws {
        let queue = try CLIQueue()
        let result = try runProcess(TestEnvironment.binary, arguments + (arguments[0] == "bogus" ? [] : ["--database", queue.database]))
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains(reason), "\(result.stderr)")
    }

    @Test("send warns at start-up about a wallet certificate that expires within 30 days or is not valid yet, and still sends")
    func walletExpiryWarning() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        _ = try queue.enqueue("with a wallet")
        let key = queue.directory + "/soon.key", cert = queue.directory + "/soon.pem"
        let made = try runProcess("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                              "-days", "5", "-subj", "/CN=Expiring Soon Test CA"])
        #expect(made.status == 0, "\(made.output)")
        let wallet = "file:" + queue.directory + "/wallet"
        let tool = TestPaths.executable("smtp-wallet")
        let env = ["WALLET_PASSWORD": "wallet-pw-1"]
        #expect(try runProcess(tool, ["create", "-w", wallet, "--password-env", "WALLET_PASSWORD"], environment: env).status == 0)
        let added = try runProcess(tool, ["add", cert, "-w", wallet, "--password-env", "WALLET_PASSWORD"], environment: env)
        #expect(added.status == 0, "\(added.output)")
        let early = try runProcess(tool, ["add", TestPaths.cert("not-yet-valid.pem"), "-w", wallet, "--password-env", "WALLET_PASSWORD"], environment: env)
        #expect(early.status == 0, "\(early.output)")
        let sent = try queue.run(["send", "--once", "--smtp", smtp, "--wallet", wallet, "--timeout", "10"],
                                 environment: ["MAIL_QUEUE_WALLET_PASSWORD": "wallet-pw-1"])
        #expect(sent.status == 0 && sent.stdout.contains("sent 1,"), "\(sent.output)")
        #expect(sent.stderr.contains("warning: wallet certificate") && sent.stderr.contains("Expiring Soon Test CA"), "\(sent.stderr)")
        #expect(sent.stderr.contains("expires in 4 day") || sent.stderr.contains("expires in 5 day"), "\(sent.stderr)")
        #expect(sent.stderr.contains("is not valid yet"), "\(sent.stderr)")
        #expect(!sent.output.contains("wallet-pw-1"))
    }
}
