import Foundation
import MailQueue
import SMTPConversation
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
