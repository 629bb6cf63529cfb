import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// The sender with a server that offers PIPELINING: MAIL, RCPT and DATA go out together, the
/// body and the final dot after the uncertain mark.
@Suite("Sender with PIPELINING")
struct PipelinedSenderTests {
    @Test("MAIL, RCPT and DATA in one group; the request ends sent")
    func pipelined() throws {
        let script = """
            220 mx ESMTP
            > EHLO client.example.com
            250-mx
            250 PIPELINING
            > MAIL FROM:<alice@example.com>
            > RCPT TO:<bob@example.com>
            > DATA
            250 2.1.0 Ok
            250 2.1.5 Ok
            354 go ahead
            > Subject: hello
            >
            > body
            > .
            250 2.0.0 OK
            > QUIT
            221 bye
            """
        let (details, _, outcome) = try sendOnce(script) { port in
            SMTPSettings(host: "127.0.0.1", port: port, heloName: "client.example.com", timeout: 10)
        }
        let served = try #require(outcome)
        #expect(served.followed, "\(String(describing: served.deviation))")
        #expect(details.status == .sent)
    }
}

/// Across messages: the next request's MAIL, RCPT and DATA ride behind the previous final dot
/// (RFC 2920 lets message content open a group), so each message costs one round trip.
@Suite("Sender pipelining across messages")
struct PipelinedAcrossMessagesTests {
    /// One message's content and final dot, as the transcript server expects it.
    static let content = """
        > Subject: hello
        >
        > body
        > .
        """
    /// The next message's envelope, sent in the same group as the final dot before it.
    static let envelope = """
        > MAIL FROM:<alice@example.com>
        > RCPT TO:<bob@example.com>
        > DATA
        """
    static let accepted = """
        250 2.1.0 Ok
        250 2.1.5 Ok
        354 go ahead
        """

    /// `requests` requests sent once through a transcript server playing `script` to each of
    /// `connections` connections, with the sender's conversation recorded.
    static func send(_ script: String, then later: [String] = [], requests: Int, connections: Int) throws
        -> (store: QueueStore, ids: [String], report: SenderReport, events: EventLog, served: ServeOutcome?)
    {
        let server = try TranscriptServer(transcript: try Transcript(parsing: script),
                                          then: try later.map { try Transcript(parsing: $0) }, mode: .meaning, readTimeout: 10)
        server.start(connections: connections, acceptTimeout: 20)
        defer { server.stop() }
        let (store, path) = try makeSQLiteStore()
        let ids = try (0..<requests).map { _ in try store.enqueue(textRequest()) }
        let events = EventLog()
        var settings = SMTPSettings(host: "127.0.0.1", port: server.port, heloName: "client.example.com", timeout: 10)
        settings.observer = { event in events.append(event) }
        let sender = try QueueSender(
            store: { () throws(QueueError) -> QueueStore in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
            settings: settings, options: SenderOptions(once: true, random: { 0.5 }))
        let report = try sender.run()
        return (store, ids, report, events, server.waitForOutcome(timeout: 10))
    }

    @Test("three requests, one connection: each envelope goes with the previous dot; a 451 to the middle dot retries only that request")
    func threeRequests() throws {
        // The server answers a final dot only once the next envelope has arrived: a sender
        // that waited for the reply to its dot before sending MAIL would time out here.
        let script = ["220 mx ESMTP", "> EHLO client.example.com", "250-mx", "250 PIPELINING",
                      Self.envelope, Self.accepted,
                      Self.content, Self.envelope, "250 2.0.0 first queued", Self.accepted,
                      Self.content, Self.envelope, "451 4.3.0 try again later", Self.accepted,
                      Self.content, "250 2.0.0 third queued",
                      "> QUIT", "221 bye"].joined(separator: "\n")
        let run = try Self.send(script, requests: 3, connections: 1)
        let (store, ids, report, events) = (run.store, run.ids, run.report, run.events)
        let served = try #require(run.served)
        #expect(served.followed, "\(String(describing: served.deviation))")
        #expect(report.sent == 2 && report.retried == 1 && report.uncertain == 0 && report.failed == 0, "\(report)")
        let details = try ids.map { try store.details($0) }
        #expect(details.filter { $0.status == .sent }.count == 2)
        let retried = details.filter { $0.status == .unsent }
        #expect(retried.count == 1)
        #expect(retried.first?.lastError?.contains("451 4.3.0 try again later") == true, "\(String(describing: retried.first?.lastError))")

        // What the sender did, in order: after each of the first two final dots, the next
        // MAIL, RCPT and DATA were written before the reply to that dot was read.
        let moves = events.moves
        let dots = moves.indices.filter { moves[$0] == "data" }
        #expect(dots.count == 3, "\(moves)")
        for dot in dots.prefix(2) {
            #expect(Array(moves[(dot + 1)...].prefix(4)) == ["MAIL", "RCPT", "DATA", "reply"], "\(moves)")
        }
        if let last = dots.last { #expect(Array(moves[(last + 1)...].prefix(2)) == ["reply", "QUIT"], "\(moves)") }
    }
}

extension PipelinedAcrossMessagesTests {
    @Test("the connection drops after a final dot with the next envelope behind it: that request is uncertain, the next is sent on a new connection, not retried")
    func dropAfterPipelinedDot() throws {
        // Each connection: one envelope, its content and dot, then the server hangs up without
        // a reply. The first connection also received the second request's envelope.
        let script = ["220 mx ESMTP", "> EHLO client.example.com", "250-mx", "250 PIPELINING",
                      Self.envelope, Self.accepted, Self.content, "@close"].joined(separator: "\n")
        let run = try Self.send(script, requests: 2, connections: 2)
        let (store, ids, report, events) = (run.store, run.ids, run.report, run.events)
        #expect(report.uncertain == 2 && report.retried == 0 && report.sent == 0, "\(report)")
        for id in ids {
            let details = try store.details(id)
            #expect(details.status == .uncertain, "\(details.lastError ?? "-")")
            #expect(details.attempts == 1, "claimed once: the lost envelope is not an attempt")
        }
        // The first dot carried the second envelope; the second request went out whole on a
        // second connection.
        let moves = events.moves
        #expect(moves.filter { $0 == "EHLO" }.count == 2, "\(moves)")
        let first = try #require(moves.firstIndex(of: "data"))
        #expect(Array(moves[(first + 1)...].prefix(3)) == ["MAIL", "RCPT", "DATA"], "\(moves)")
    }
}

extension PipelinedAcrossMessagesTests {
    static let greeting = ["220 mx ESMTP", "> EHLO client.example.com", "250-mx", "250 PIPELINING"]

    @Test("a 421 to a final dot with the next envelope behind it: that request is retried, the next one sent on a new connection")
    func shutdownAfterPipelinedDot() throws {
        let first = (Self.greeting + [Self.envelope, Self.accepted, Self.content, Self.envelope,
                                      "421 4.3.2 shutting down", "@close"]).joined(separator: "\n")
        let second = (Self.greeting + [Self.envelope, Self.accepted, Self.content, "250 2.0.0 queued",
                                       "> QUIT", "221 bye"]).joined(separator: "\n")
        let run = try Self.send(first, then: [second], requests: 2, connections: 2)
        #expect(run.report.sent == 1 && run.report.retried == 1 && run.report.uncertain == 0, "\(run.report)")
        let details = try run.ids.map { try run.store.details($0) }
        let retried = try #require(details.first { $0.status == .unsent })
        #expect(retried.lastError?.contains("421 4.3.2 shutting down") == true, "\(retried.lastError ?? "-")")
        let sent = try #require(details.first { $0.status == .sent })
        #expect(sent.attempts == 1, "the envelope lost with the first connection is not an attempt")
        #expect(run.events.moves.filter { $0 == "EHLO" }.count == 2, "\(run.events.moves)")
    }

    @Test("the connection drops while the next envelope's replies are read: the first request is sent, the next retried, not uncertain")
    func dropBeforePipelinedReplies() throws {
        let script = (Self.greeting + [Self.envelope, Self.accepted, Self.content, Self.envelope,
                                       "250 2.0.0 first queued", "@close"]).joined(separator: "\n")
        let run = try Self.send(script, requests: 2, connections: 1)
        #expect(run.report.sent == 1 && run.report.retried == 1 && run.report.uncertain == 0, "\(run.report)")
        let details = try run.ids.map { try run.store.details($0) }
        #expect(details.filter { $0.status == .sent }.count == 1)
        let retried = try #require(details.first { $0.status == .unsent })
        #expect(retried.lastError?.contains("MAIL FROM") == true, "failed before its dot: \(retried.lastError ?? "-")")
    }
}

/// EventLog keeps a connection's events from the observer's thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ConversationEvent] = []

    func append(_ event: ConversationEvent) { lock.withLock { events.append(event) } }

    /// The client's moves: a command's verb, "data" for content written, "reply" for a reply read.
    var moves: [String] {
        lock.withLock {
            events.compactMap { event -> String? in
                switch event {
                case .sent(let line): return String(line.prefix { $0 != " " && $0 != ":" })
                case .sentData: return "data"
                case .received: return "reply"
                default: return nil
                }
            }
        }
    }
}
