import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// Transcripts are checked wherever they are read, and a client that leaves one is told why.
@Suite("transcript validation and deviation reasons")
struct TranscriptValidationTests {
    @Test("every fixture and the seed's log validate")
    func fixturesValidate() throws {
        let directory = Repl.path("fixtures/transcripts")
        var files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".txt") }.map { "\(directory)/\($0)" }
        files.append(Repl.path("fixtures/seeds/000-office365.txt"))
        #expect(files.count > 10)
        for file in files {
            let transcript = try Transcript(parsing: try String(contentsOfFile: file, encoding: .utf8), name: file)
            #expect(throws: Never.self, "\(file)") { try transcript.validate() }
        }
    }

    static let refused: [(String, String, String)] = [
        ("plsql", "CREATE OR REPLACE PROCEDURE send_mail IS\n  c UTL_SMTP.CONNECTION;\nBEGIN\n  NULL;\nEND;\n/\n",
         ":1: \"CREATE OR REPLACE PROCEDURE send_mail IS\" is not a reply (three digits, 200 to 599, then a space or a hyphen): is this a PL/SQL file?"),
        ("prose", "The server greets the client.\nThen the client says hello.\n",
         ":1: \"The server greets the client.\" is not a reply (three digits, 200 to 599, then a space or a hyphen): is this prose or another tool's log?"),
        ("malformed", "220 mail.example.test ESMTP\n> EHLO client.example.com\n250-mail.example.test\n251 PIPELINING\n",
         ":4: reply code 251 in a reply that began with 250 at line 3: every line of a reply carries the same code"),
        ("unfinished", "220 mail.example.test ESMTP\n> EHLO client.example.com\n250-mail.example.test\n> QUIT\n221 bye\n",
         ":4: a client line inside the reply that began at line 3"),
        ("no exchange", "# nothing but a comment\n(and a remark)\n", ":1: no exchange"),
        ("greeting only", "220 mail.example.test ESMTP\n", ":1: no exchange: the transcript has no client line"),
        ("client first", "> EHLO client.example.com\n250 ok\n", ":1: the transcript starts with a client line and has no greeting: write (fragment)"),
        ("a capture", "DEBUG SMTP: trying to connect to host \"x\", port 25, isSSL false\n220 x ESMTP\nEHLO y\n250 x\n",
         ":1: \"DEBUG SMTP: trying to connect to host \"x\", port 25, isSSL...\" is not a reply (three digits, 200 to 599, then a space or a hyphen); is this a capture? smtp-repl convert FILE"),
    ]

    @Test("serve and replay refuse what is not a playable transcript with FILE:LINE and exit 2, before any socket", arguments: refused.map(\.0))
    func refusedFiles(_ name: String) throws {
        let (_, text, message) = try #require(Self.refused.first { $0.0 == name })
        let file = try Repl.temporaryFile(text, suffix: ".txt")
        // A port someone else holds: serve would fail with exit 3 if it tried to listen.
        let holder = try TranscriptServer(transcript: try Transcript(parsing: "220 x\n@close\n"), mode: .meaning)
        defer { holder.stop() }
        let served = try Repl.repl(["serve", file, "--listen", "127.0.0.1:\(holder.port)", "--once"])
        #expect(served.status == 2 && served.output.contains(file + message), "\(served.output)")
        // Port 1: nothing listens there; replay would fail with exit 3 if it connected.
        let replayed = try Repl.repl(["replay", file, "--server", "127.0.0.1:1"])
        #expect(replayed.status == 2 && replayed.output.contains(file + message), "\(replayed.output)")
    }

    @Test("a (fragment) is served after a made-up greeting and a client follows it")
    func fragment() throws {
        guard let python = Repl.require("python3") else { return }
        let transcript = try Transcript(parsing: "(fragment)\n> EHLO client.example.com\n250 mail.example.test\n> QUIT\n221 bye\n", name: "fragment.txt")
        try transcript.validate()
        let outcome = try FieldCaptureTests.serve(transcript, mode: .meaning) { port in
            let sent = try Repl.run(python, ["-c", "import smtplib,sys; s=smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.example.com'); s.ehlo('client.example.com'); s.quit()", String(port)])
            #expect(sent.status == 0, "\(sent.output)")
        }
        #expect(outcome?.followed == true, "\(String(describing: outcome?.deviation))")
    }

    /// A client on a real socket that sends `lines` (CRLF unless `lf`), each after the server's
    /// answer, optionally without waiting for a greeting, then waits for the server to close.
    static let client = """
        import socket, sys
        port, greet, ending = int(sys.argv[1]), sys.argv[2] == 'greet', b'\\n' if sys.argv[3] == 'lf' else b'\\r\\n'
        s = socket.create_connection(('127.0.0.1', port), timeout=15)
        if greet: s.recv(4096)
        for line in sys.argv[4:]:
            s.sendall(line.lstrip('~').encode() + ending)
            if not line.startswith('~'):
                try: s.recv(4096)
                except socket.timeout: pass
        while s.recv(4096): pass
        """

    static let script = """
        220 mail.example.test ESMTP
        > EHLO client.example.com
        250 mail.example.test
        > MAIL FROM:<alice@example.com>
        250 ok
        > RCPT TO:<bob@example.com>
        250 ok
        > DATA
        354 go ahead
        > subject: test mail
        >
        > hello
        > .
        250 queued
        > QUIT
        221 bye

        """

    static let deviations: [(String, String, MatchMode, [String], String, String)] = [
        ("content that does not end", "220 x\n> EHLO client.example.com\n250 x\n> DATA\n354 go\n> subject: test mail\n", .meaning,
         ["greet", "crlf", "EHLO client.example.com", "DATA", "~subject: test mail", "~", "~body", "."],
         "t.txt:6: expected \"> subject: test mail\", the client sent \"subject: test mail\": the transcript's message content does not end", ""),
        ("a missing command", script, .meaning, ["greet", "crlf", "EHLO client.example.com", "RCPT TO:<bob@example.com>"],
         "t.txt:4: expected \"> MAIL FROM:<alice@example.com>\", the client sent \"RCPT TO:<bob@example.com>\": a missing line: the client skipped to line 6", ""),
        ("a missing AUTH exchange", "220 x\n> EHLO client.example.com\n250-x\n250 AUTH LOGIN\n> AUTH LOGIN\n334 VXNlcm5hbWU6\n> {secret}\n334 UGFzc3dvcmQ6\n> {secret}\n235 ok\n> MAIL FROM:<alice@example.com>\n250 ok\n", .meaning,
         ["greet", "crlf", "EHLO client.example.com", "MAIL FROM:<alice@example.com>"],
         "t.txt:5: expected \"> AUTH LOGIN\", the client sent \"MAIL FROM:<alice@example.com>\": a missing line: the client skipped to line 11", ""),
        ("an extra command", script, .meaning, ["greet", "crlf", "EHLO client.example.com", "EHLO client.example.com"],
         "t.txt:4: expected \"> MAIL FROM:<alice@example.com>\", the client sent \"EHLO client.example.com\": an extra line: the client sent line 2's command again", ""),
        ("a missing content line", script, .strict,
         ["greet", "crlf", "EHLO client.example.com", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA", "~subject: test mail", "~", "."],
         "t.txt:12: expected \"> hello\", the client sent \".\": a missing line: the message ended here, the transcript's content goes on to line 13", ""),
        ("an extra content line", script, .strict,
         ["greet", "crlf", "EHLO client.example.com", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA", "~subject: test mail", "~", "~hello", "~more", "."],
         "t.txt:13: expected \"> .\", the client sent \"more\": an extra line: the transcript's message content ended at the line before", ""),
        ("LF in --strict", script, .strict, ["greet", "lf", "EHLO client.example.com"],
         "t.txt:2: expected \"> EHLO client.example.com\", the client sent \"EHLO client.example.com\": the client ended the line with a bare LF, not CRLF", ""),
        ("a plaintext client on implicit TLS", "@tls\n" + script, .meaning, ["nogreet", "crlf", "~EHLO client.example.com"],
         "t.txt:0: expected \"@tls\", the client sent \"EHLO client.example.com\": the client spoke plaintext; this transcript starts with TLS", ""),
        ("a client waiting for a greeting on implicit TLS", "@tls\n" + script, .meaning, ["nogreet", "crlf"],
         "t.txt:0: expected \"@tls\", the client sent nothing within 2 s and did not start TLS; this transcript starts with TLS", ""),
        ("a silent client", script, .meaning, ["greet", "crlf"],
         "t.txt:2: expected \"> EHLO client.example.com\", the client sent nothing within 2 s after the greeting", ""),
    ]

    @Test("each way of leaving a transcript is reported with its reason", arguments: deviations.map(\.0))
    func deviation(_ name: String) throws {
        guard let python = Repl.require("python3") else { return }
        let (_, text, mode, arguments, message, _) = try #require(Self.deviations.first { $0.0 == name })
        let transcript = try Transcript(parsing: text, name: "t.txt")
        let server = try TranscriptServer(transcript: transcript, mode: mode, tlsCertificatePath: Repl.path("certs/server.pem"),
                                          tlsKeyPath: Repl.path("certs/server.key"), readTimeout: 2)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        _ = try Repl.run(python, ["-c", Self.client, String(server.port)] + arguments, timeout: 30)
        let outcome = try #require(server.waitForOutcome(timeout: 30))
        let deviation = try #require(outcome.deviation, "\(outcome.error ?? "followed")")
        #expect(deviation.description.hasPrefix(message), "\(deviation.description)")
    }
}
