import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// `smtp-repl serve` against clients no one here wrote: swaks and Python's smtplib.
@Suite("smtp-repl serve with real clients")
struct ServeTests {
    /// Starts `smtp-repl serve FIXTURE --once` on a free port and returns it with the port.
    func startServe(_ fixture: String, tls: Bool = false, extra: [String] = [], first: String? = nil, once: Bool = true) throws -> (Child, Pipe, Int) {
        let probe = try TranscriptServer(transcript: Transcript(parsing: "220 x\n"))
        let port = probe.port
        probe.stop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repl.binary)
        var arguments = ["serve", first ?? Repl.path("fixtures/transcripts/\(fixture)"), "--listen", "127.0.0.1:\(port)", "--no-color"] + (once ? ["--once"] : [])
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

    @Test("clients are served at once: a second client is greeted while a first one idles; past --max-clients a client gets 421")
    func concurrentIdleClients() throws {
        guard let python = Repl.require("python3") else { return }
        let fixture = Repl.path("fixtures/transcripts/plain-submission.txt")
        // Two clients (--then), each waited for 30 s: the idle first one must not hold up the second.
        let (process, pipe, port) = try startServe("plain-submission.txt", extra: ["--then", fixture, "--read-timeout", "30"])
        let program = """
            import socket, sys, time
            port = int(sys.argv[1])
            a = socket.create_connection(('127.0.0.1', port), timeout=10)
            print('A', a.recv(200).decode().strip())
            b = socket.create_connection(('127.0.0.1', port), timeout=10)
            b.settimeout(5)
            try:
                print('B', b.recv(200).decode().strip())
            except socket.timeout:
                print('B no greeting within 5 s')
            """
        let clients = try Repl.run(python, ["-c", program, String(port)], timeout: 30)
        #expect(clients.output.contains("A 220 mail.example.test"), "\(clients.output)")
        #expect(clients.output.contains("B 220 mail.example.test"), "\(clients.output)")
        let (code, output) = try finish(process, pipe)
        #expect(code == 1, "both left the transcript: \(output)")

        // --max-clients 1: while the first idles, the next is told 421 and closed at once.
        let (busy, busyPipe, busyPort) = try startServe("plain-submission.txt", extra: ["--max-clients", "1", "--read-timeout", "30"], once: false)
        defer { busy.stop() }
        let refused = try Repl.run(python, ["-c", program, String(busyPort)], timeout: 30)
        #expect(refused.output.contains("A 220 mail.example.test"), "\(refused.output)")
        #expect(refused.output.contains("B 421 4.3.2 Too many connections (1 served at once)"), "\(refused.output)")
        busy.stop()
        let busyOutput = String(decoding: busyPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(busyOutput.contains("turned away (421): 1 clients are served at once (--max-clients)"), "\(busyOutput)")
    }

    @Test("a 40 MB message: serve's memory stays bounded, and --record keeps the first MiB with a note of the rest")
    func largeMessageBounded() throws {
        guard let python = Repl.require("python3") else { return }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: record) }
        let (process, pipe, port) = try startServe("plain-submission.txt", extra: ["--record", record], once: false)
        defer { process.stop() }
        func memory(_ field: String) throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        let before = try memory("VmRSS")
        let program = """
            import smtplib, sys
            line = 'x' * 998 + '\\r\\n'
            body = 'From: alice@example.com\\r\\nTo: bob@example.com\\r\\nSubject: big\\r\\n\\r\\n' + line * 40000
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='client.example.com', timeout=60)
            print('sendmail', s.sendmail('alice@example.com', ['bob@example.com'], body))
            s.quit()
            """
        let client = try Repl.run(python, ["-c", program, String(port)], timeout: 180)
        #expect(client.output.contains("sendmail {}"), "\(client.output)")
        // --record is written once the client has gone.
        var recorded = ""
        for _ in 0..<200 where recorded.isEmpty {
            recorded = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
            if recorded.isEmpty { usleep(50_000) }
        }
        let peak = try memory("VmHWM")
        // Without the cap the recording alone held the 40 MB (and more as Swift strings).
        #expect(peak - before < 20 * 1024, "serve grew from \(before) kB to a peak of \(peak) kB")
        #expect(recorded.contains("content lines (") && recorded.contains("not recorded: a session records at most 1024 KiB"),
                "\(recorded.suffix(400))")
        #expect(recorded.utf8.count < 2 << 20, "\(recorded.utf8.count) bytes recorded")
        #expect(recorded.hasSuffix("> .\n250 2.0.0 Ok: queued as 4XyZ\n> quit\n221 2.0.0 Bye\n"), "\(recorded.suffix(200))")
        process.stop()
        _ = pipe
    }
}
