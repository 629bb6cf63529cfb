import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// A hostile server's reply cannot drive the terminal of someone running the REPL: ESC, BEL and
/// bidi overrides in a reply are printed escaped.
@Suite("smtp-repl terminal injection")
struct ReplTerminalInjectionTests {
    @Test("a greeting and a reply holding ESC, BEL and U+202E are shown escaped")
    func hostileReplies() throws {
        let transcript = """
            220 evil.example ESMTP \u{1B}]0;pwned\u{07}\u{1B}[2J
            > EHLO client.example.com
            250 evil.example says \u{202E}olleh
            > QUIT
            221 bye
            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: transcript, name: "hostile"), mode: .strict, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let script = """
            open_connection 127.0.0.1 ${PORT}
            ehlo client.example.com
            quit
            """
        let result = try Repl.run(Repl.binary, ["run", "-", "--var", "PORT=\(server.port)"], input: script)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ESMTP \\x1B]0;pwned\\x07\\x1B[2J"), "\(result.output)")
        #expect(result.output.contains("says \\u{202E}olleh"), "\(result.output)")
        #expect(!result.output.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" }, "\(result.output.debugDescription)")
    }
}
