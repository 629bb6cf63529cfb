import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// A transcript server can play a different transcript to each connection in turn: a server
/// that fails once and then answers.
@Suite("Transcript server: one transcript per connection")
struct TranscriptSequenceTests {
    static func greetingOnly(_ text: String) throws -> Transcript {
        try Transcript(parsing: "220 \(text)\n> QUIT\n221 bye")
    }

    @Test("the first connection gets the first transcript, the next ones the later ones in turn, the last repeated; each outcome as it comes")
    func sequence() throws {
        let server = try TranscriptServer(transcript: try Self.greetingOnly("first"),
                                          then: [try Self.greetingOnly("second"), try Self.greetingOnly("third")],
                                          mode: .strict, readTimeout: 10)
        server.start(connections: 4, acceptTimeout: 20)
        defer { server.stop() }
        var greetings: [String] = []
        for _ in 0..<4 {
            let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
            greetings.append(connection.greeting.singleLine)
            try connection.quit()
            #expect(try #require(server.waitForOutcome(timeout: 10)).followed)
        }
        #expect(greetings.map { $0.contains("first") ? "first" : $0.contains("second") ? "second" : "third" }
                    == ["first", "second", "third", "third"], "\(greetings)")
    }

    @Test("a later transcript with a TLS step needs the certificate too")
    func laterTLS() throws {
        let tls = try Transcript(parsing: "220 mx\n> EHLO a\n250-mx\n250 STARTTLS\n> STARTTLS\n220 go\n@tls\n> QUIT\n221 bye")
        #expect(throws: SMTPError.self) {
            _ = try TranscriptServer(transcript: try Self.greetingOnly("first"), then: [tls], readTimeout: 10)
        }
    }
}
