import Foundation
import GRDB
import MailQueue
import TestSupport
import Testing

/// Wake-up on enqueue: a daemon idling with a 60 s poll interval sends a request enqueued on
/// PostgreSQL (NOTIFY/LISTEN) or SQLite (the inotify-watched wake-up file) within a second, and
/// after PostgreSQL restarts it reconnects, polls meanwhile, and listens again.
@Suite("Wake-up on enqueue")
struct WakeUpTests {
    // MARK: - The wake-up itself

    @Test("a wake-up that comes while the worker is busy is not lost; none: the poll interval passes; stop ends a wait")
    func waiter() throws {
        let stop = StopSignal()
        let wakeUp = WakeUp(stop: stop)
        let waiter = wakeUp.waiter()
        wakeUp.wake()  // before the wait: between an empty claim and the wait
        var started = Date()
        #expect(waiter.wait(upTo: 30), "woken by a wake-up that came before the wait")
        #expect(Date().timeIntervalSince(started) < 1)
        started = Date()
        #expect(!waiter.wait(upTo: 0.2), "nothing new: the poll interval runs out")
        #expect(Date().timeIntervalSince(started) >= 0.2)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { stop.stop() }
        started = Date()
        #expect(!waiter.wait(upTo: 30), "stop ends the wait, not as a wake-up")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("hostile: wake-ups without end cost a worker at most one claim per minimum interval")
    func flood() throws {
        let stop = StopSignal()
        let wakeUp = WakeUp(stop: stop)
        let waiter = wakeUp.waiter()
        let flooding = Thread {
            while !stop.isStopped { wakeUp.wake() }
        }
        flooding.start()
        defer { stop.stop() }
        let window = 0.5
        let started = Date()
        var returns = 0
        while Date().timeIntervalSince(started) < window {
            if waiter.wait(upTo: 1) { returns += 1 }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(returns >= 2, "woken while the flood goes on")
        #expect(Double(returns) <= elapsed / WakeUp.minimumInterval + 2, "\(returns) wake-ups in \(elapsed) s")
    }

    // MARK: - SQLite

    @Test("SQLite: requests enqueued while the daemon idles (60 s poll) through the store, the CLI and an application's GRDB transaction are each sent within a second")
    func sqliteDaemon() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let (store, path) = try makeSQLiteStore()
        let daemon = try WakeUpDaemon(database: "sqlite:" + path, smtp: smtp)
        defer { daemon.stop() }
        #expect(daemon.await("wake-up: listening"), "\(daemon.output)")
        #expect(FileManager.default.fileExists(atPath: SQLiteWakeFile.path(for: path)), "the daemon made the wake-up file")

        let marker = "wakeup-" + UUID().uuidString
        for round in 1...2 {
            let started = Date()
            let id = try store.enqueue(textRequest(subject: "\(marker) store \(round)"))
            #expect(try eventually(timeout: 10) { try store.details(id).status == .sent })
            #expect(Date().timeIntervalSince(started) < 1, "store enqueue \(round): \(Date().timeIntervalSince(started)) s")
        }

        let enqueued = try runProcess(TestEnvironment.binary, [
            "enqueue", "--database", "sqlite:" + path, "--from", "alice@example.com", "--to", "bob@example.com",
            "--subject", "\(marker) cli", "--body", "body"], timeout: 60)
        let committed = Date()  // the CLI commits before it exits
        #expect(enqueued.status == 0, "\(enqueued.output)")
        let cli = enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try eventually(timeout: 10) { try store.details(cli).status == .sent })
        #expect(Date().timeIntervalSince(committed) < 1, "CLI enqueue: \(Date().timeIntervalSince(committed)) s")

        // An application's own GRDB connection: the wake-up follows its commit.
        let application = try DatabaseQueue(path: path)
        var started = Date()
        let id = try application.write { db in
            try MailQueueRequester.enqueue(textRequest(subject: "\(marker) grdb"), in: db)
        }
        #expect(try eventually(timeout: 10) { try store.details(id).status == .sent })
        #expect(Date().timeIntervalSince(started) < 1, "GRDB enqueue: \(Date().timeIntervalSince(started)) s")

        // A rolled-back enqueue announces nothing and leaves nothing.
        started = Date()
        struct Abandon: Error {}
        var rolledBack: String?
        #expect(throws: Abandon.self) {
            try application.write { db in
                rolledBack = try MailQueueRequester.enqueue(textRequest(subject: "\(marker) rollback"), in: db)
                throw Abandon()
            }
        }
        if let rolledBack { #expect(throws: QueueError.self) { try store.details(rolledBack) } }
    }

    @Test("the relay: a message it accepts wakes its own sender (60 s poll), which connects upstream and sends it within 2 s")
    func relay() throws {
        guard let upstream = TestEnvironment.required("SMTP_AIOSMTPD_TLS") else { return }
        let relay = try RelayProcess()
        try relay.start(["--allow-cleartext-auth-on-loopback", "--smtp", upstream, "--security", "starttls",
                         "--ca-file", TestEnvironment.cert("ca.pem"), "--credential-alias", "up", "--helo", "relay.test",
                         "--idle-poll-seconds", "60"])
        defer { relay.stop() }
        #expect(eventually(timeout: 20) { relay.log.contains("wake-up: listening") }, "\(relay.log)")
        let store = QueueStore(database: try SQLiteQueueDatabase(path: relay.queue.path))
        let message = relay.queue.directory + "/m.eml"
        for round in 1...2 {
            try Data("Subject: wake-up \(round)\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: message))
            let sent = try relay.client("submit", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                                   "--mech", "LOGIN", "--from", "alice@example.com", "--to", "bob@example.com",
                                                   "--file", message])
            // From the client's 250 (the request committed before it): the rest is the wake-up,
            // the upstream connection (STARTTLS, AUTH) and the message.
            let started = Date()
            let reply = (sent["text"] as? String) ?? ""
            #expect(reply.hasPrefix("2.0.0 queued as "), "\(sent)")
            let id = String(reply.dropFirst("2.0.0 queued as ".count))
            #expect(try eventually(timeout: 10) { try store.details(id).status == .sent }, "\(relay.log)")
            // Under 2 s: a new upstream connection (TLS handshake and AUTH with the Python peer) is
            // part of it, slow on a loaded machine; polling would take up to 60 s.
            #expect(Date().timeIntervalSince(started) < 2, "relay round \(round): \(Date().timeIntervalSince(started)) s")
        }
    }

    @Test("a release (like a retry) wakes the daemon too, on SQLite and PostgreSQL: the held request is sent within a second", arguments: ["sqlite", "postgres"])
    func release(_ dialect: String) throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let check = { (store: QueueStore, database: String) throws in
            let pattern = "held-" + UUID().uuidString.prefix(8)
            let id = try store.enqueue(textRequest(subject: "held", pattern: pattern))
            #expect(try store.hold(pattern: pattern) == 1)
            let daemon = try WakeUpDaemon(database: database, smtp: smtp)
            defer { daemon.stop() }
            #expect(daemon.await("wake-up: listening"), "\(daemon.output)")
            #expect(try store.details(id).status == .held)
            let started = Date()
            #expect(try store.release(pattern: pattern) == 1)
            #expect(try eventually(timeout: 10) { try store.details(id).status == .sent }, "\(daemon.output)")
            #expect(Date().timeIntervalSince(started) < 1, "released: \(Date().timeIntervalSince(started)) s")
        }
        if dialect == "sqlite" {
            let (store, path) = try makeSQLiteStore()
            try check(store, "sqlite:" + path)
        } else {
            try withPostgresQueue { store, url in try check(store, url) }
        }
    }

    // MARK: - PostgreSQL

    @Test("PostgreSQL: requests enqueued while the daemon idles (60 s poll) are sent within a second (NOTIFY in the enqueue's transaction)")
    func postgresDaemon() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        try withPostgresQueue { store, url in
            let daemon = try WakeUpDaemon(database: url, smtp: smtp)
            defer { daemon.stop() }
            #expect(daemon.await("wake-up: listening"), "\(daemon.output)")
            let marker = "wakeup-pg-" + UUID().uuidString
            for round in 1...3 {
                let started = Date()
                let id = try store.enqueue(textRequest(subject: "\(marker) \(round)"))
                #expect(try eventually(timeout: 10) { try store.details(id).status == .sent })
                #expect(Date().timeIntervalSince(started) < 1, "enqueue \(round): \(Date().timeIntervalSince(started)) s")
            }
            // In an application's transaction: nothing is announced before COMMIT.
            let application = try PostgresConnection(url: url)
            try application.simple("BEGIN")
            let id = try MailQueueRequester.enqueue(textRequest(subject: "\(marker) tx"), on: application)
            let started = Date()
            try application.simple("COMMIT")
            #expect(try eventually(timeout: 10) { try store.details(id).status == .sent })
            #expect(Date().timeIntervalSince(started) < 1, "application transaction: \(Date().timeIntervalSince(started)) s")
        }
    }

    @Test("PostgreSQL restarts: the daemon says it polls, listens again, its worker connects again, and the next request is sent at once")
    func postgresRestart() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD"), TestEnvironment.required("MAIL_QUEUE_TEST_POSTGRES") != nil
        else { return }
        let cluster = try PrivatePostgres()
        defer { cluster.stop() }
        let initialised = try runProcess(TestEnvironment.binary, ["init", "--database", cluster.url], timeout: 60)
        try #require(initialised.status == 0, "\(initialised.output)")
        let store = QueueStore(database: try PostgresQueueDatabase(url: cluster.url))
        let daemon = try WakeUpDaemon(database: cluster.url, smtp: smtp)
        defer { daemon.stop() }
        #expect(daemon.await("wake-up: listening"), "\(daemon.output)")
        let marker = "wakeup-restart-" + UUID().uuidString
        var started = Date()
        let before = try store.enqueue(textRequest(subject: "\(marker) before"))
        #expect(try eventually(timeout: 10) { try store.details(before).status == .sent })
        #expect(Date().timeIntervalSince(started) < 1, "before the restart: \(Date().timeIntervalSince(started)) s")

        try cluster.restart()
        #expect(daemon.await("wake-up: lost; polling every 60 s until it listens again"), "\(daemon.output)")
        #expect(daemon.await("wake-up: listening again", timeout: 60), "\(daemon.output)")
        #expect(daemon.isRunning, "the daemon outlives the restart")

        // A new connection (the store's own was cut by the restart).
        let after = QueueStore(database: try PostgresQueueDatabase(url: cluster.url))
        started = Date()
        let id = try after.enqueue(textRequest(subject: "\(marker) after"))
        #expect(try eventually(timeout: 30) { try after.details(id).status == .sent }, "\(daemon.output)")
        // The worker's connection died with the server: it connects again (0.5 s) on its first use.
        #expect(Date().timeIntervalSince(started) < 2, "after the restart: \(Date().timeIntervalSince(started)) s")
        #expect(daemon.output.contains("database error; connecting again"), "\(daemon.output)")

        // Listening for good: the next one within a second again.
        started = Date()
        let next = try after.enqueue(textRequest(subject: "\(marker) next"))
        #expect(try eventually(timeout: 10) { try after.details(next).status == .sent })
        #expect(Date().timeIntervalSince(started) < 1, "listening again: \(Date().timeIntervalSince(started)) s")
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }
}

/// `mail-queue send --daemon --idle-poll-seconds 60` with its output in a file.
final class WakeUpDaemon {
    let child: Child
    let log: String

    init(database: String, smtp: String, extra: [String] = []) throws {
        let directory = try temporaryDirectory()
        log = directory + "/daemon.out"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary)
        process.arguments = ["send", "--daemon", "--database", database, "--smtp", smtp, "--helo", "client.example.com",
                             "--timeout", "10", "--idle-poll-seconds", "60"] + extra
        process.standardOutput = output
        process.standardError = output
        child = try Child(process)
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    var isRunning: Bool { child.isRunning }

    /// Waits for `text` in the output (an event the daemon reports), up to `timeout` seconds.
    func await(_ text: String, timeout: Double = 20) -> Bool {
        eventually(timeout: timeout) { output.contains(text) }
    }

    func stop() { child.stop(SIGKILL) }
}

/// A PostgreSQL cluster of the test's own (scripts/peers in a new directory), so that it can be
/// restarted without disturbing the shared peer. Its commands run through system(3), which
/// waits for its own child: run through Process, `scripts/peers start` was left a zombie that
/// Foundation never reaped (a pg_ctl-started server is among its descendants), and the wait
/// ran out.
final class PrivatePostgres {
    let directory: String
    let url: String

    init() throws {
        directory = try temporaryDirectory()
        chmod(directory, 0o755)
        let peers = TestPaths.root.appendingPathComponent("scripts/peers").path
        try Self.shell("PEERS=postgres \(Self.quoted(peers)) start \(Self.quoted(directory))", log: directory + "/start.log")
        let env = try String(contentsOfFile: directory + "/peers.env", encoding: .utf8)
        guard let line = env.split(separator: "\n").first(where: { $0.contains("MAIL_QUEUE_TEST_POSTGRES=") }),
              let value = line.split(separator: "=", maxSplits: 1).last
        else { throw PeerFailure(text: "no MAIL_QUEUE_TEST_POSTGRES in \(env)") }
        url = value.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
    }

    /// `pg_ctl restart -m fast`: every connection is cut, then the server takes new ones.
    func restart() throws {
        let pgCtl = try binary("pg_ctl")
        var command = "\(Self.quoted(pgCtl)) -D \(Self.quoted(directory + "/pg/data")) -l \(Self.quoted(directory + "/logs/postgres.log")) "
            + "-m fast -w -t 30 restart"
        // PostgreSQL refuses to run as root: as scripts/peers does, root runs it as `postgres`.
        if getuid() == 0 { command = "cd / && runuser -u postgres -- " + command }
        try Self.shell(command, log: directory + "/restart.log")
    }

    func stop() {
        let peers = TestPaths.root.appendingPathComponent("scripts/peers").path
        try? Self.shell("\(Self.quoted(peers)) stop \(Self.quoted(directory))", log: directory + "/stop.log")
    }

    /// `name` beside the server that runs the cluster (postmaster.opts names it first).
    private func binary(_ name: String) throws -> String {
        let options = (try? String(contentsOfFile: directory + "/pg/data/postmaster.opts", encoding: .utf8)) ?? ""
        let server = options.split(separator: " ").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        guard let server else { throw PeerFailure(text: "no server named in postmaster.opts: \(options)") }
        return ((server as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    /// Runs `command` with sh, its output in `log`, bounded by timeout(1).
    private static func shell(_ command: String, log: String) throws {
        // The test process's own descriptors (thousands of pipes in a full run) are closed first:
        // inherited through runuser they exceed the postgres user's open-file limit and the server
        // cannot start ("Too many open files"), as scripts/peers also avoids.
        let closing = "for f in /proc/$$/fd/*; do f=${f##*/}; if [ \"$f\" -gt 2 ] 2>/dev/null; then eval \"exec $f>&-\"; fi; done 2>/dev/null; "
        let status = system("timeout 120 bash -c \(quoted(closing + command)) </dev/null >\(quoted(log)) 2>&1")
        guard status == 0 else {
            throw PeerFailure(text: "\(command): status \(status): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    struct PeerFailure: Error, CustomStringConvertible { let text: String; var description: String { text } }
}
