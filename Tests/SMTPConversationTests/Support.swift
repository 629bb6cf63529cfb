import Foundation
import SMTPConversation
import SMTPTranscript
@_exported import TestSupport
import Testing

/// Paths and peers shared by the tests.
enum TestEnvironment {
    static let root = TestPaths.root
    static let fixtures = root.appendingPathComponent("fixtures/transcripts")
    static let certs = TestPaths.certs

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

    /// A peer's `host:port` from the environment (see `TestPeers`).
    static func peer(_ variable: String) -> (host: String, port: Int)? { TestPeers.peer(variable) }

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

extension Conversation {
    /// A conversation that has read `220` and, optionally, a 250 to EHLO with `capabilities`
    /// (the state machine alone, no socket).
    static func greeted(ehlo capabilities: [String]? = nil, isTLS: Bool = false, allowsCleartextAuth: Bool = false)
        throws -> Conversation
    {
        var conversation = Conversation(isTLS: isTLS, allowsCleartextAuth: allowsCleartextAuth)
        conversation.receive(Array("220 mx ready\r\n".utf8))
        _ = try #require(try conversation.nextReply())
        if let capabilities {
            _ = try conversation.send(.ehlo("client"))
            conversation.receive(Reply(code: 250, lines: ["mx"] + capabilities).wireBytes)
            _ = try #require(try conversation.nextReply())
        }
        return conversation
    }
}
