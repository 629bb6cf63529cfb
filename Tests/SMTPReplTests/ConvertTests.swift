import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// `convert` on real output captured in this run, then served back to the same client.
@Suite("smtp-repl convert")
struct ConvertTests {
    /// Converts a capture, checks it, serves it back to the same client and expects it followed.
    func roundTrip(_ capture: String, format: String, client: (Int) throws -> Void) throws -> Transcript {
        let input = try Repl.temporaryFile(capture, suffix: ".log")
        let output = input + ".txt"
        let converted = try Repl.repl(["convert", "--from", format, input, "-o", output])
        #expect(converted.status == 0, "\(converted.output)")
        let transcript = try Transcript(parsing: try String(contentsOfFile: output, encoding: .utf8), name: output)
        let server = try TranscriptServer(transcript: transcript, mode: .meaning, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        try client(server.port)
        let outcome = try #require(server.waitForOutcome())
        #expect(outcome.followed, "\(String(describing: outcome.deviation)) \(outcome.error ?? "")")
        return transcript
    }

    func swaks(_ swaks: String, port: Int) throws -> Repl.Result {
        try Repl.run(swaks, ["--server", "127.0.0.1:\(port)", "--from", "alice@example.com", "--to", "bob@example.com",
                             "--helo", "client.example.com", "--body", "A line.\n.A line that starts with a dot.", "--timeout", "10"])
    }

    @Test("swaks output converts to a transcript that swaks follows again")
    func swaksRoundTrip() throws {
        guard let swaks = Repl.require("swaks") else { return }
        let server = try Repl.serve("plain-submission.txt")
        let captured = try self.swaks(swaks, port: server.port)
        #expect(try #require(server.waitForOutcome()).followed, "\(captured.output)")
        server.stop()
        let transcript = try roundTrip(captured.output, format: "swaks") { port in _ = try self.swaks(swaks, port: port) }
        let rendered = transcript.render()
        #expect(rendered.contains("> MAIL FROM:<alice@example.com>") && rendered.contains("> ..A line that starts with a dot."))
        #expect(rendered.contains("250 2.0.0 Ok: queued as {any}"))
    }

    func smtplib(_ python: String, port: Int, debug: Int) throws -> Repl.Result {
        let program = """
            import smtplib
            s = smtplib.SMTP('127.0.0.1', \(port), local_hostname='client.example.com', timeout=10)
            s.set_debuglevel(\(debug))
            s.ehlo('client.example.com')
            s.sendmail('alice@example.com', ['bob@example.com','nobody@example.com','carol@example.com'], 'Subject: to two of three\\r\\n\\r\\nhello\\r\\n')
            s.quit()
            """
        return try Repl.run(python, ["-c", program])
    }

    @Test("smtplib debug output (levels 1 and 2) converts to a transcript smtplib follows again", arguments: [1, 2])
    func smtplibRoundTrip(_ debug: Int) throws {
        guard let python = Repl.require("python3") else { return }
        let server = try Repl.serve("multi-recipient-550.txt")
        let captured = try smtplib(python, port: server.port, debug: debug)
        #expect(try #require(server.waitForOutcome()).followed, "\(captured.output)")
        server.stop()
        #expect(captured.output.contains("send: "))
        let transcript = try roundTrip(captured.output, format: "smtplib") { port in _ = try self.smtplib(python, port: port, debug: 0) }
        #expect(transcript.render().contains("< 550 5.1.1") || transcript.render().contains("550 5.1.1"))
    }

    @Test("credentials in a capture become {secret}")
    func redaction() throws {
        let capture = """
            send: 'ehlo client\\r\\n'
            reply: b'250-mx\\r\\n'
            reply: b'250 AUTH PLAIN LOGIN\\r\\n'
            send: 'AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\\r\\n'
            reply: b'235 ok\\r\\n'
            send: 'AUTH LOGIN\\r\\n'
            reply: b'334 VXNlcm5hbWU6\\r\\n'
            send: 'YWxpY2U=\\r\\n'
            reply: b'334 UGFzc3dvcmQ6\\r\\n'
            send: 'd29uZGVybGFuZA==\\r\\n'
            reply: b'235 ok\\r\\n'
            send: 'quit\\r\\n'
            """
        let transcript = try TranscriptImporter.importing(capture, format: .smtplib)
        let rendered = transcript.render()
        #expect(!rendered.contains("AGFsaWNl") && !rendered.contains("YWxpY2U=") && !rendered.contains("d29uZGVybGFuZA=="))
        #expect(rendered.contains("> AUTH PLAIN {secret}") && rendered.contains("> {secret}") && rendered.contains("> quit"))
    }

    @Test("a file that holds no conversation is refused with exit 2")
    func nothing() throws {
        let input = try Repl.temporaryFile("hello world\n", suffix: ".log")
        let result = try Repl.repl(["convert", "--from", "swaks", input])
        #expect(result.status == 2)
        #expect(result.output.contains(":1: no SMTP reply found") && result.output.contains("hello world"))
    }

    @Test("a real JavaMail mail.debug log converts to a transcript the same JavaMail program follows again")
    func javamailRoundTrip() throws {
        guard let javac = Repl.require("javac"), let java = Repl.require("java") else { return }
        let jars = ["/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"]
        guard jars.allSatisfy(FileManager.default.fileExists) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("libjakarta-mail-java is not installed") }
            return
        }
        let classes = FileManager.default.temporaryDirectory.appendingPathComponent("javamail-\(UUID().uuidString)").path
        let compiled = try Repl.run(javac, ["-d", classes, "-cp", jars.joined(separator: ":"), Repl.path("Tests/SMTPReplTests/javamail/SendOne.java")])
        #expect(compiled.status == 0, "\(compiled.output)")
        let classpath = ([classes] + jars).joined(separator: ":")
        let server = try Repl.serve("plain-submission.txt")
        let captured = try Repl.run(java, ["-cp", classpath, "SendOne", "127.0.0.1", String(server.port)])
        #expect(try #require(server.waitForOutcome()).followed, "\(captured.output)")
        server.stop()
        #expect(captured.output.contains("DEBUG SMTP"))
        let transcript = try roundTrip(captured.output, format: "javamail") { port in
            _ = try Repl.run(java, ["-cp", classpath, "SendOne", "127.0.0.1", String(port)])
        }
        let rendered = transcript.render()
        #expect(rendered.contains("> MAIL FROM:<alice@example.com>") && rendered.contains("> ..A line that starts with a dot."))
        #expect(!rendered.contains("DEBUG"))
    }
}
