import Foundation
import SMTPConversation
import Testing

/// Paths and peers shared by the tests.
enum TestEnvironment {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("fixtures/transcripts")
    static let certs = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SMTP_CERTS_DIR"] ?? root.appendingPathComponent("certs").path)

    static func cert(_ name: String) -> String { certs.appendingPathComponent(name).path }

    static var fixtureNames: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path))?.filter { $0.hasSuffix(".txt") }.sorted() ?? []
    }

    static func transcript(_ name: String) throws -> Transcript {
        let path = fixtures.appendingPathComponent(name).path
        return try Transcript(parsing: String(contentsOfFile: path, encoding: .utf8), name: name)
    }

    /// Trust only the test CA.
    static var testTLS: TLSConfiguration { TLSConfiguration(trust: .pemFile(cert("ca.pem"))) }

    /// A peer's `host:port` from the environment. Without it the test is skipped by hand and
    /// fails under CI=true, where the test script must have started it.
    static func peer(_ variable: String) -> (host: String, port: Int)? {
        let environment = ProcessInfo.processInfo.environment
        guard let value = environment[variable], let colon = value.lastIndex(of: ":"),
            let port = Int(value[value.index(after: colon)...])
        else {
            if environment["CI"] == "true" {
                Issue.record("\(variable) is not set: scripts/test must start this peer under CI")
            }
            return nil
        }
        return (String(value[..<colon]), port)
    }

    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}

/// Starts a transcript server for one connection on a free loopback port.
func serve(_ transcript: Transcript, mode: MatchMode = .strict, certificate: String = "server",
           readTimeout: Double = 10) throws -> TranscriptServer {
    let server = try TranscriptServer(
        transcript: transcript, mode: mode, tlsCertificatePath: TestEnvironment.cert("\(certificate).pem"),
        tlsKeyPath: TestEnvironment.cert("\(certificate).key"), readTimeout: readTimeout)
    server.start(connections: 1, acceptTimeout: 20)
    return server
}

/// Collects a connection's events (thread-safe).
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ConversationEvent] = []

    var observer: ConversationObserver { { [self] event in lock.withLock { events.append(event) } } }

    var sentLines: [String] {
        lock.withLock {
            events.compactMap { if case .sent(let line) = $0 { return line }; return nil }
        }
    }

    var all: [ConversationEvent] { lock.withLock { events } }
}
