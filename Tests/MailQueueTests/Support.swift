import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
@_exported import TestSupport
import Testing

/// Paths and peers shared by the tests (copied from SMTPConversationTests' Support).
enum TestEnvironment {
    static let root = TestPaths.root
    static let certs = TestPaths.certs

    static func cert(_ name: String) -> String { certs.appendingPathComponent(name).path }

    /// The built `mail-queue` executable.
    static var binary: String { root.appendingPathComponent(".build/debug/mail-queue").path }

    /// A peer's `host:port` from the environment (see `TestPeers`).
    static func peer(_ variable: String) -> (host: String, port: Int)? { TestPeers.peer(variable) }

    /// A variable that must be set under CI (see `TestPeers`).
    static func required(_ variable: String) -> String? { TestPeers.required(variable) }

    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}

/// A fresh temporary directory, removed by the caller with `cleanup`.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "mq-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs `body` with a migrated store in a new PostgreSQL schema of `MAIL_QUEUE_TEST_POSTGRES`
/// and the URL that reaches that schema; the schema is dropped afterwards. Without the peer
/// the test is skipped by hand and fails under CI (see `TestPeers.required`).
func withPostgresQueue(_ body: (QueueStore, String) throws -> Void) throws {
    guard let url = TestEnvironment.required("MAIL_QUEUE_TEST_POSTGRES") else { return }
    let schemaName = "mq_" + UUID().uuidString.prefix(8).lowercased()
    let admin = try PostgresConnection(url: url)
    try admin.simple("CREATE SCHEMA \(schemaName)")
    defer { try? admin.simple("DROP SCHEMA \(schemaName) CASCADE") }
    let scoped = url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schemaName)"
    let store = QueueStore(database: try PostgresQueueDatabase(url: scoped))
    try store.migrate()
    try body(store, scoped)
}

/// A migrated SQLite store in a temporary file.
func makeSQLiteStore(limits: QueueLimits = QueueLimits(), now: (@Sendable () -> Int64)? = nil) throws -> (QueueStore, String) {
    let directory = try temporaryDirectory()
    let path = directory + "/queue.sqlite"
    let store = QueueStore(database: try SQLiteQueueDatabase(path: path), limits: limits, now: now ?? { Clock.milliseconds() })
    try store.migrate()
    return (store, path)
}

/// A text request to `to`.
func textRequest(to: [String] = ["bob@example.com"], subject: String = "hello", body: String = "body\n",
                 from: String = "alice@example.com", pattern: String? = nil) -> MailRequest {
    MailRequest(from: from, to: to, patternID: pattern, content: .text(subject: subject, body: body))
}

/// Waits until `condition` holds, polling every 20 ms, for at most `timeout` seconds.
func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// Enqueues `request` in a new SQLite queue, serves `script` (over TLS with the test PKI when it
/// has a TLS step) and runs one `send --once` pass against it.
/// - Returns: the request as stored afterwards, the sender's report, and how the client
///   followed the script.
func sendOnce(_ script: String, settings: (Int) -> SMTPSettings, retry: RetryPolicy = RetryPolicy(),
              request: MailRequest = textRequest()) throws -> (RequestDetails, SenderReport, ServeOutcome?) {
    let server = try TranscriptServer(
        transcript: try Transcript(parsing: script), mode: .meaning, tlsCertificatePath: TestEnvironment.cert("server.pem"),
        tlsKeyPath: TestEnvironment.cert("server.key"), readTimeout: 10)
    server.start(connections: 1, acceptTimeout: 20)
    defer { server.stop() }
    let (store, path) = try makeSQLiteStore()
    let id = try store.enqueue(request)
    let sender = try QueueSender(
        store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
        settings: settings(server.port), options: SenderOptions(retry: retry, once: true, random: { 0.5 }))
    let report = try sender.run()
    let outcome = server.waitForOutcome(timeout: 10)
    return (try store.details(id), report, outcome)
}

/// CLIQueue is a new SQLite queue used through the built `mail-queue` binary.
struct CLIQueue {
    /// Its directory (files a test writes go here too).
    let directory: String
    /// The database file.
    var path: String { directory + "/queue.sqlite" }
    /// The `--database` value.
    var database: String { "sqlite:" + path }

    /// Creates the directory and runs `mail-queue init`.
    init() throws {
        directory = try temporaryDirectory()
        let initialised = try run(["init"])
        #expect(initialised.status == 0, "\(initialised.output)")
    }

    /// Runs `mail-queue ARGS --database …`.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(TestEnvironment.binary, arguments + ["--database", database], environment: environment)
    }

    /// Enqueues a text request from alice to bob; returns its id.
    func enqueue(_ subject: String, pattern: String? = nil) throws -> String {
        let result = try run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", subject,
                              "--body", "b"] + (pattern.map { ["--pattern", $0] } ?? []))
        #expect(result.status == 0, "\(result.output)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `status --json`'s counts.
    func counts() throws -> [String: Int] {
        let status = try run(["status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? Int }
    }

    /// The number of requests in any status.
    func total() throws -> Int {
        let counts = try counts()
        return RequestStatus.allCases.compactMap { counts[$0.rawValue] }.reduce(0, +)
    }
}
