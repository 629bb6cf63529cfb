import Foundation
import MailQueue
import SMTPConversation
import Testing

/// What a new user's walkthrough of `mail-queue` ran into: raw Foundation errors for missing
/// files, settings-file errors without FILE:LINE, flags silently ignored, misleading messages
/// and exit codes that disagreed with the help.
@Suite("mail-queue walkthrough fixes")
struct WalkthroughFixesTests {
    @Test("a file option naming a missing file or a directory: one line naming the option, the path and why; exit 2; nothing enqueued",
          arguments: ["--jsonl", "--attach", "--body-file", "template put --body-file"], ["no such file", "is a directory"])
    func unreadableFiles(_ command: String, _ reason: String) throws {
        let queue = try CLIQueue()
        let path = reason == "is a directory" ? queue.directory : queue.directory + "/nope.txt"
        let base = ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com"]
        let option = String(command.split(separator: " ").last ?? "")
        let arguments: [String] = switch command {
        case "--jsonl": ["enqueue", "--jsonl", path]
        case "--attach": base + ["--subject", "s", "--body", "b", "--attach", path]
        case "--body-file": base + ["--subject", "s", "--body-file", path]
        default: ["template", "put", "--id", "t", "--lang", "en", "--subject", "s", "--body-file", path]
        }
        let result = try queue.run(arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr == "mail-queue: configuration: \(option) \(path): \(reason)\n", "\(result.output)")
        #expect(try queue.total() == 0, "nothing enqueued")
        #expect(try queue.run(["template", "list"]).stdout.isEmpty, "no template stored")
    }

    @Test("every value error from the send --config file names FILE:LINE, and exits 2 with nothing claimed", arguments: [
        ("security = tls", "security tls: expected none, starttls or implicit"),
        ("smtp = 127.0.0.1:x", "smtp 127.0.0.1:x: the port must be a number from 1 to 65535"),
        ("profile = office356", "profile office356: the known profile is office365"),
        ("connections = 0", "connections 0: must be at least 1"),
        ("timeout = 0", "timeout 0.0: must be more than 0"),
        ("batch = 0", "batch 0: must be at least 1"),
        ("retry-base-ms = -1", "retry-base-ms -1: must be 0 or more"),
        ("password-file = /nonexistent-password", "password-file /nonexistent-password: no such file"),
    ])
    func configFileValueErrors(_ line: String, _ expected: String) throws {
        let queue = try CLIQueue()
        _ = try queue.enqueue("held")
        let config = queue.directory + "/send.conf"
        let smtp = line.hasPrefix("smtp") || line.hasPrefix("profile") ? "" : "smtp = 127.0.0.1:1\n"
        try "# settings\n\(smtp)user = me\n\(line)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let number = smtp.isEmpty ? 3 : 4
        let result = try queue.run(["send", "--once", "--config", config])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("mail-queue: configuration: \(config):\(number): \(expected)"), "\(result.output)")
        #expect(try queue.counts()["unsent"] == 1 && queue.counts()["sending"] == 0)
        // The same value given as a flag is named as the flag.
        let key = String(line.prefix { $0 != " " })
        let value = String(line.drop { $0 != "=" }.dropFirst(2))
        let flagged = try queue.run(["send", "--once", "--smtp", "127.0.0.1:1", "--\(key)=\(value)"])
        #expect(flagged.status == 2, "\(flagged.output)")
        #expect(flagged.stderr.contains("--\(key) \(value)"), "\(flagged.output)")
    }

    @Test("--smtp without a port (or a wrong one) says what is missing or wrong, from a flag or MAIL_QUEUE_SMTP", arguments: [
        ("127.0.0.1", "--smtp 127.0.0.1: the port is missing (host:port, e.g. 127.0.0.1:587)"),
        ("127.0.0.1:", "--smtp 127.0.0.1:: the port is missing (host:port, e.g. 127.0.0.1:587)"),
        ("smtp.example.com", "--smtp smtp.example.com: the port is missing (host:port, e.g. smtp.example.com:587)"),
        (":25", "--smtp :25: the host is missing (host:port, e.g. smtp.example.com:587)"),
        ("127.0.0.1:0", "--smtp 127.0.0.1:0: the port must be a number from 1 to 65535"),
        ("::1:25", "--smtp ::1:25: an IPv6 address goes in brackets, e.g. [::1]:25"),
        ("[::1]", "--smtp [::1]: the port is missing (host:port, e.g. [::1]:587)"),
    ])
    func smtpWithoutPort(_ value: String, _ expected: String) throws {
        let queue = try CLIQueue()
        let result = try queue.run(["send", "--once", "--smtp", value])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr == "mail-queue: configuration: \(expected)\n", "\(result.output)")
        // The same from the environment names the variable.
        let env = try queue.run(["send", "--once"], environment: ["MAIL_QUEUE_SMTP": value])
        #expect(env.status == 2 && env.stderr.contains("MAIL_QUEUE_SMTP \(value): "), "\(env.output)")
    }

    @Test("--smtp host:port and [IPv6]:port are used as given: a closed port is a connection error, retried (exit 1)",
          arguments: ["127.0.0.1:1", "[::1]:1", "localhost:1"])
    func smtpAccepted(_ value: String) throws {
        let queue = try CLIQueue()
        _ = try queue.enqueue("to a closed port")
        let result = try queue.run(["send", "--once", "--smtp", value, "--timeout", "5"])
        #expect(result.status == 1 && result.stdout.contains("retried 1,"), "\(result.output)")
    }

    @Test("a per-request flag with --jsonl is refused (exit 2) naming the flag; nothing enqueued", arguments: [
        ["--from", "carol@example.com"], ["--to", "x@example.com"], ["--cc", "x@example.com"], ["--bcc", "x@example.com"],
        ["--reply-to", "x@example.com"], ["--return-path", "x@example.com"], ["--subject", "s"], ["--body", "b"],
        ["--body-file", "/dev/null"], ["--template", "welcome"], ["--lang", "ja"], ["--var", "name=x"], ["--charset", "UTF-8"],
        ["--pattern", "p"], ["--attach", "/dev/null"],
    ])
    func jsonlWithRequestFlags(_ flag: [String]) throws {
        let queue = try CLIQueue()
        let file = queue.directory + "/req.jsonl"
        try #"{"from": "alice@example.com", "to": "bob@example.com", "subject": "s", "body": "b"}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try queue.run(["enqueue", "--jsonl", file] + flag)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("\(flag[0]) cannot be given with --jsonl"), "\(result.output)")
        #expect(try queue.total() == 0, "nothing enqueued")
        let alone = try queue.run(["enqueue", "--jsonl", file])
        #expect(try alone.status == 0 && queue.total() == 1, "\(alone.output)")
    }

    @Test("--lang without --template is refused, as --var is")
    func langWithoutTemplate() throws {
        let queue = try CLIQueue()
        let result = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--body", "b", "--lang", "ja"])
        #expect(result.status == 2 && result.stderr.contains("--lang is for a template"), "\(result.output)")
        #expect(try queue.total() == 0)
    }

    @Test("template show of an unknown template: exit 2 with a clear message, as the help says")
    func unknownTemplate() throws {
        let queue = try CLIQueue()
        let result = try queue.run(["template", "show", "--id", "nope", "--lang", "en"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr == "mail-queue: not found: no template 'nope' in language 'en'\n", "\(result.output)")
        let help = try runProcess(TestEnvironment.binary, ["--help"])
        #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").contains("template that does not exist"), "\(help.stdout)")
        let showHelp = try runProcess(TestEnvironment.binary, ["template", "show", "--help"])
        #expect(showHelp.stdout.replacingOccurrences(of: "\n", with: " ").contains("exit 2 when there is no such template"), "\(showHelp.stdout)")
    }

    @Test("retry of an id that does not exist: 'no such request' (as show says), exit 2, nothing changed; one left alone: exit 1")
    func retryUnknown() throws {
        let queue = try CLIQueue()
        let id = try queue.enqueue("will be failed")
        let store = QueueStore(database: try SQLiteQueueDatabase(path: queue.path))
        #expect(try store.claim(owner: "t", limit: 1, leaseMillis: 60_000, pattern: nil) == [id])
        try store.markFailed(id, owner: "t", error: "550 no", refused: nil)

        let unknown = try queue.run(["retry", "nope"])
        #expect(unknown.status == 2, "\(unknown.output)")
        #expect(unknown.stderr == "mail-queue: not found: request nope: no such request\n", "\(unknown.output)")
        let shown = try queue.run(["show", "nope"])
        #expect(shown.status == 2 && shown.stderr == unknown.stderr, "\(shown.output)")
        let mixed = try queue.run(["retry", id, "nope", "nada"])
        #expect(mixed.status == 2 && mixed.stderr.contains("request nope, nada: no such requests"), "\(mixed.output)")
        #expect(try store.details(id).status == .failed, "nothing changed")

        let retried = try queue.run(["retry", id])
        #expect(retried.status == 0 && retried.stdout.contains("1 request(s) queued again"), "\(retried.output)")
        let alone = try queue.run(["retry", id])
        #expect(alone.status == 1 && alone.stderr.contains("\(id): not failed"), "unsent and due: left alone: \(alone.output)")
        let help = try runProcess(TestEnvironment.binary, ["retry", "--help"])
        #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").contains("2 an id does not exist"), "\(help.stdout)")
    }

    /// The store refuses unknown ids before it changes anything, in both databases.
    static func retryUnknownInStore(_ store: QueueStore) throws {
        let id = try store.enqueue(textRequest())
        #expect(try store.claim(owner: "t", limit: 1, leaseMillis: 60_000, pattern: nil) == [id])
        try store.markFailed(id, owner: "t", error: "550 no", refused: nil)
        let error = try #require(throws: QueueError.self) { try store.retry([id, "nope"]) }
        #expect(error.kind == .notFound && error.description == "request nope: no such request", "\(error)")
        #expect(try store.details(id).status == .failed)
        #expect(try store.retry([id]) == [id])
        #expect(try store.retry([]) == [])
    }

    @Test("QueueStore.retry: unknown ids refused, nothing changed (SQLite)")
    func retryUnknownSQLite() throws { try Self.retryUnknownInStore(try makeSQLiteStore().0) }

    @Test("QueueStore.retry: unknown ids refused, nothing changed (PostgreSQL)")
    func retryUnknownPostgres() throws { try withPostgresQueue { store, _ in try Self.retryUnknownInStore(store) } }
}
