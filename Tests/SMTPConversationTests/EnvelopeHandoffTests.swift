import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// `closeData(after:beginning:)` and `envelopeReplies(for:)`: the next message's envelope in the
/// same write as the previous final dot, only where PIPELINING allows and only when it can be
/// written whole.
@Suite("Envelope behind the final dot")
struct EnvelopeHandoffTests {
    /// Up to the first message's final dot.
    static let firstMessage = """
        220 mx
        > EHLO client.example.com
        250-mx
        250 PIPELINING
        > MAIL FROM:<alice@example.com>
        > RCPT TO:<bob@example.com>
        > DATA
        250 ok
        250 ok
        354 go ahead
        > one
        > .
        """

    static let twoMessages = firstMessage + """

        > MAIL FROM:<alice@example.com>
        > RCPT TO:<carol@example.com>
        > DATA
        250 2.0.0 first queued
        250 ok
        250 ok
        354 go ahead
        > two
        > .
        250 2.0.0 second queued
        > QUIT
        221 bye
        """

    /// A connection to `server`, after EHLO, its events in `log`.
    static func connect(_ server: TranscriptServer, log: EventLog = EventLog()) throws -> SMTPConnection {
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 10, options: SMTPConnection.Options(observer: log.observer))
        try connection.ehlo("client.example.com")
        return connection
    }

    /// The client's moves in order: a command's verb, "data" for content, "reply" for a reply.
    static func moves(_ log: EventLog) -> [String] {
        log.all.compactMap { event -> String? in
            switch event {
            case .sent(let line): return String(line.prefix { $0 != " " && $0 != ":" })
            case .sentData: return "data"
            case .received: return "reply"
            default: return nil
            }
        }
    }

    @Test("with PIPELINING the next envelope goes with the dot; its replies are read next")
    func handoff() throws {
        let server = try serve(try Transcript(parsing: Self.twoMessages), mode: .strict)
        defer { server.stop() }
        let log = EventLog()
        let connection = try Self.connect(server, log: log)
        #expect(try connection.beginMail(from: "alice@example.com", to: ["bob@example.com"]).dataReply?.code == 354)
        let next = Envelope(sender: "alice@example.com", recipients: ["carol@example.com"])
        let first = try connection.closeData(after: Array("one\r\n".utf8), beginning: next)
        #expect(first.reply.code == 250 && first.reply.singleLine.contains("first queued") && first.beganNext)
        let envelope = try connection.envelopeReplies(for: next)
        #expect(envelope.mailReply.code == 250 && envelope.acceptedRecipients == ["carol@example.com"])
        #expect(envelope.dataReply?.code == 354)
        let second = try connection.closeData(after: Array("two\r\n".utf8), beginning: nil)
        #expect(second.reply.code == 250 && !second.beganNext)
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
        let moves = Self.moves(log)
        let dot = try #require(moves.firstIndex(of: "data"))
        #expect(Array(moves[(dot + 1)...].prefix(4)) == ["MAIL", "RCPT", "DATA", "reply"], "\(moves)")
    }

    @Test("an envelope that cannot be written (a line break in an address, no recipient) is left out: the dot goes alone")
    func unsendableNext() throws {
        for next in [Envelope(sender: "alice@example.com", recipients: ["x@example.com>\r\nRCPT TO:<evil@example.com"]),
                     Envelope(sender: "alice@example.com", recipients: [])] {
            let server = try serve(try Transcript(parsing: Self.firstMessage + "\n250 2.0.0 queued\n> QUIT\n221 bye"), mode: .strict)
            defer { server.stop() }
            let connection = try Self.connect(server)
            _ = try connection.beginMail(from: "alice@example.com", to: ["bob@example.com"])
            let closed = try connection.closeData(after: Array("one\r\n".utf8), beginning: next)
            #expect(closed.reply.code == 250 && !closed.beganNext, "\(next)")
            try connection.quit()
            let outcome = try #require(server.waitForOutcome())
            #expect(outcome.followed, "nothing of the next envelope was written: \(String(describing: outcome.deviation))")
        }
    }

    @Test("without PIPELINING the dot goes alone and the next message is the caller's to begin")
    func withoutPipelining() throws {
        let server = try serve(try Transcript(parsing: """
            220 mx
            > EHLO client.example.com
            250 mx
            > MAIL FROM:<alice@example.com>
            250 ok
            > RCPT TO:<bob@example.com>
            250 ok
            > DATA
            354 go ahead
            > one
            > .
            451 4.3.0 try later
            > QUIT
            221 bye
            """), mode: .strict)
        defer { server.stop() }
        let connection = try Self.connect(server)
        _ = try connection.beginMail(from: "alice@example.com", to: ["bob@example.com"])
        let closed = try connection.closeData(after: Array("one\r\n".utf8),
                                              beginning: Envelope(sender: "alice@example.com", recipients: ["carol@example.com"]))
        #expect(closed.reply.code == 451 && !closed.beganNext, "a 4xx reply is returned, not thrown")
        try connection.quit()
        #expect(try #require(server.waitForOutcome()).followed)
    }
}
