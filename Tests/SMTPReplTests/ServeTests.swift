import Foundation
import SMTPConversation
import Testing

/// `smtp-repl serve` against clients no one here wrote: swaks and Python's smtplib.
@Suite("smtp-repl serve with real clients")
struct ServeTests {
    /// Starts `smtp-repl serve FIXTURE --once` on a free port and returns it with the port.
    func startServe(_ fixture: String, tls: Bool = false, extra: [String] = [], first: String? = nil) throws -> (Child, Pipe, Int) {
        let probe = try TranscriptServer(transcript: Transcript(parsing: "220 x\n"))
        let port = probe.port
        probe.stop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repl.binary)
        var arguments = ["serve", first ?? Repl.path("fixtures/transcripts/\(fixture)"), "--listen", "127.0.0.1:\(port)", "--once", "--no-color"]
        if tls { arguments += ["--tls-cert", Repl.path("certs/server.pem"), "--tls-key", Repl.path("certs/server.key")] }
        arguments += extra
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let child = try Child(process)
        // Wait (bounded) until it listens: the first line says so.
        let handle = pipe.fileHandleForReading
        var banner = Data()
        while !String(decoding: banner, as: UTF8.self).contains("\n") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            banner += chunk
        }
        #expect(String(decoding: banner, as: UTF8.self).contains("serving"))
        return (child, pipe, port)
    }

    /// Waits (bounded) for serve to exit, then reads what it printed (a few lines: the pipe holds them).
    func finish(_ child: Child, _ pipe: Pipe) throws -> (Int32, String) {
        let status = try child.wait(timeout: 60)
        return (status, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("swaks follows plain-submission: serve exits 0; a different recipient: exit 1 with the line", arguments: [
        ("bob@example.com", Int32(0)), ("mallory@example.com", Int32(1)),
    ])
    func swaks(_ recipient: String, _ status: Int32) throws {
        guard let swaks = Repl.require("swaks") else { return }
        let (process, pipe, port) = try startServe("plain-submission.txt")
        _ = try Repl.run(swaks, ["--server", "127.0.0.1:\(port)", "--from", "alice@example.com", "--to", recipient,
                                 "--helo", "client.example.com", "--body", "A line.\n.A line that starts with a dot.", "--timeout", "10"])
        let (code, output) = try finish(process, pipe)
        #expect(code == status, "\(output)")
        if status == 1 {
            #expect(output.contains("plain-submission.txt:10: expected \"> RCPT TO:<bob@example.com>\""), "\(output)")
            #expect(output.contains("mallory@example.com"))
        } else {
            #expect(output.contains("followed the transcript to the end"))
        }
    }

    @Test("--then: the first client gets a 421 greeting, the second the whole submission; --once exits 0 after both")
    func thenSequence() throws {
        guard let swaks = Repl.require("swaks") else { return }
        let busy = FileManager.default.temporaryDirectory.appendingPathComponent("busy-\(UUID().uuidString).txt").path
        try "421 4.3.2 busy, try again later\n@close\n".write(toFile: busy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: busy) }
        // The busy transcript first, the fixture for the next client.
        let (process, pipe, port) = try startServe("plain-submission.txt", extra: ["--then", Repl.path("fixtures/transcripts/plain-submission.txt")],
                                                   first: busy)
        let swaksArguments = ["--server", "127.0.0.1:\(port)", "--from", "alice@example.com", "--to", "bob@example.com",
                              "--helo", "client.example.com", "--body", "A line.\n.A line that starts with a dot.", "--timeout", "10"]
        let refused = try Repl.run(swaks, swaksArguments)
        #expect(refused.status != 0, "swaks saw the 421: \(refused.output)")
        #expect(refused.output.contains("421"), "\(refused.output)")
        let accepted = try Repl.run(swaks, swaksArguments)
        #expect(accepted.status == 0, "\(accepted.output)")
        let (code, output) = try finish(process, pipe)
        #expect(code == 0, "\(output)")
        #expect(output.components(separatedBy: "followed the transcript to the end").count == 3, "two clients followed: \(output)")
    }

    @Test("swaks with STARTTLS and AUTH LOGIN follows the Office365 transcript")
    func swaksTLS() throws {
        guard let swaks = Repl.require("swaks") else { return }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("served-\(UUID().uuidString).txt").path
        let (process, pipe, port) = try startServe("office365-starttls.txt", tls: true, extra: ["--record", record])
        let result = try Repl.run(swaks, [
            "--server", "127.0.0.1:\(port)", "--from", "sender@example.com", "--to", "receiver@example.com", "--helo", "client.example.com",
            "--tls", "--auth", "LOGIN", "--auth-user", "sender@example.com", "--auth-password", "pw", "--timeout", "10",
        ])
        let (code, output) = try finish(process, pipe)
        #expect(code == 0, "\(output)\n\(result.output)")
        // --record: both sides as served, the password never written.
        let recorded = try String(contentsOfFile: record, encoding: .utf8)
        #expect(recorded.contains("@tls") && recorded.contains("> AUTH LOGIN") && recorded.contains("> {secret}"), "\(recorded)")
        #expect(recorded.contains("235 2.7.0 Authentication successful"))
        #expect(!recorded.contains(Base64.encode("pw")))
        #expect(try Transcript(parsing: recorded).steps().count > 10)
    }

    @Test("Python smtplib follows the multi-recipient transcript; a missing recipient is reported", arguments: [
        ("['bob@example.com','nobody@example.com','carol@example.com']", Int32(0)),
        ("['bob@example.com','carol@example.com']", Int32(1)),
    ])
    func smtplib(_ recipients: String, _ status: Int32) throws {
        guard let python = Repl.require("python3") else { return }
        let (process, pipe, port) = try startServe("multi-recipient-550.txt")
        let program = """
            import smtplib
            s = smtplib.SMTP('127.0.0.1', \(port), local_hostname='client.example.com', timeout=10)
            try:
                s.sendmail('alice@example.com', \(recipients), 'Subject: to two of three\\r\\n\\r\\nhello\\r\\n')
            except Exception as e:
                print('smtplib:', e)
            try:
                s.quit()
            except Exception as e:
                print('smtplib:', e)
            """
        _ = try Repl.run(python, ["-c", program])
        let (code, output) = try finish(process, pipe)
        #expect(code == status, "\(output)")
        if status == 1 { #expect(output.contains("left the transcript")) }
    }
}
