import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// The interactive REPL driven through tmux: prompt, completion, history, hidden password.
@Suite("smtp-repl interactive (tmux)", .serialized)
struct InteractiveTests {
    /// A tmux session on a server of its own (`-L`): never the user's tmux, nor one a killed
    /// earlier run left behind; `close` ends that server.
    final class Pane {
        let name = "repl-\(UUID().uuidString.prefix(8))"
        let tmux: String
        var socket: [String] { ["-L", "smtp-repl-test-" + name] }

        init(tmux: String, command: String, environment: [String: String]) throws {
            self.tmux = tmux
            let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
            // The tmux server forks from this first client and would keep what the client
            // inherited: the test thread's signal mask (SIGCHLD and SIGTERM blocked: it would
            // never reap its panes) and the descriptor Foundation watches to see the client
            // exit (held open by the server, the client's exit would never be seen: a test run
            // on a machine with no tmux server running hung on this). So Python starts the
            // client with an empty mask and only descriptors 0-2, and waits for it.
            let clean = "import signal, subprocess, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                + "sys.exit(subprocess.call(sys.argv[1:], close_fds=True))"
            _ = try Repl.run("/usr/bin/env", ["python3", "-c", clean, tmux] + socket + [
                "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", "env \(exports) \(command)",
            ])
        }

        func send(_ keys: String...) throws { _ = try Repl.run(tmux, socket + ["send-keys", "-t", name] + keys) }

        func capture() throws -> String { try Repl.run(tmux, socket + ["capture-pane", "-p", "-t", name]).output }

        /// The screen and everything scrolled off it.
        func captureAll() throws -> String { try Repl.run(tmux, socket + ["capture-pane", "-p", "-S", "-", "-t", name]).output }

        /// Polls the pane (bounded, 10 s) until `condition` holds; returns the last capture.
        @discardableResult
        func await(_ what: String, _ condition: (String) -> Bool) throws -> String {
            var screen = ""
            for _ in 0..<200 {
                screen = try capture()
                if condition(screen) { return screen }
                usleep(50_000)
            }
            Issue.record("timed out waiting for \(what); screen:\n\(screen)")
            return screen
        }

        func close() { _ = try? Repl.run(tmux, socket + ["kill-server"]) }
    }

    @Test("prompt shows the state; Tab completes commands and parameters; the password is not echoed; history survives a restart")
    func interactive() throws {
        guard let tmux = Repl.require("tmux") else { return }
        let server = try Repl.serve("office365-starttls.txt")
        defer { server.stop() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let environment = ["HOME": home, "NO_COLOR": "1", "TERM": "xterm"]
        let pane = try Pane(tmux: tmux, command: "\(Repl.binary)", environment: environment)
        defer { pane.close() }
        try pane.await("the prompt") { $0.contains("smtp>") }
        try pane.send("open_connection 127.0.0.1 \(server.port) trust=\(Repl.path("certs/ca.pem")) secure_host=localhost", "Enter")
        try pane.await("the connected prompt") { $0.contains("smtp[connected]>") }
        try pane.send("eh", "Tab")
        try pane.await("completion of ehlo") { $0.contains("smtp[connected]> ehlo") }
        try pane.send("client.example.com", "Enter")
        try pane.await("the ehlo prompt") { $0.contains("smtp[ehlo]>") }
        try pane.send("starttls", "Enter")
        try pane.send("ehlo client.example.com", "Enter")
        try pane.await("the TLS prompt") { $0.contains("smtp[ehlo,tls]>") }
        try pane.send("auth user", "Tab")
        try pane.await("completion of username=") { $0.contains("auth username=") }
        try pane.send("sender@example.com schemes=LOGIN", "Enter")
        try pane.await("the password prompt") { $0.contains("password for sender@example.com:") }
        try pane.send("Sup3rSecret", "Enter")
        let screen = try pane.await("the authenticated prompt") { $0.contains("smtp[ehlo,tls,auth]>") }
        #expect(!screen.contains("Sup3rSecret"))
        // data typed interactively: lines until a lone dot, under a data> prompt.
        try pane.send("mail sender@example.com", "Enter")
        try pane.send("rcpt receiver@example.com", "Enter")
        try pane.await("the rcpt prompt") { $0.contains("smtp[rcpt,tls,auth]>") }
        try pane.send("data", "Enter")
        try pane.await("the data prompt") { $0.contains("data>") }
        for line in ["Subject: typed", "", "hello", "."] { try pane.send(line, "Enter") }
        try pane.await("the 250 after the dot") { $0.contains("<~  250 2.0.0 OK") }
        try pane.send("C-d")
        try pane.await("the shell to end") { !$0.contains("smtp[ehlo,tls,auth]>") || $0.contains("$") }
        _ = server.waitForOutcome(timeout: 10)

        // A second run finds the history of the first.
        let again = try Pane(tmux: tmux, command: "\(Repl.binary)", environment: environment)
        defer { again.close() }
        try again.await("the prompt") { $0.contains("smtp>") }
        try again.send("Up")
        try again.await("the last command from history, without the message lines") { $0.contains("smtp> data") }
        try again.send("Up", "Up", "Up")
        try again.await("an earlier command from history") { $0.contains("smtp> auth username=sender@example.com schemes=LOGIN") }
        // A password typed on the line is kept in the history hidden.
        try again.send("C-u")
        try again.send("auth username=u password=HistPass9", "Enter")
        try again.await("the refusal (not connected)") { $0.contains("auth: not connected") }
        let history = try String(contentsOfFile: home + "/.smtp_repl_history", encoding: .utf8)
        #expect(history.contains("open_connection 127.0.0.1") && !history.contains("Sup3rSecret") && !history.contains("Subject: typed"))
        #expect(history.contains("auth username=u password={secret}") && !history.contains("HistPass9"), "\(history)")
    }

    @Test("AUTH LOGIN sent with command: the base64 user and password stay out of the history, the screen and the transcript (0600)")
    func rawAuthHidden() throws {
        guard let tmux = Repl.require("tmux") else { return }
        let password = "TopSecretPW"
        let userLine = Base64.encode("user@example.com")
        let passwordLine = Base64.encode(password)
        let script = """
            220 hostile.example ESMTP
            > EHLO client.example.com
            250 AUTH LOGIN
            > AUTH LOGIN
            334 VXNlcm5hbWU6
            > {secret}
            334 UGFzc3dvcmQ6
            > {secret}
            535 5.7.8 bad password \(password) (\(passwordLine))
            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 20)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let saved = home + "/saved.txt"
        let recorded = home + "/recorded.txt"
        let pane = try Pane(tmux: tmux, command: "\(Repl.binary) --record \(recorded); sleep 30",
                            environment: ["HOME": home, "NO_COLOR": "1", "TERM": "xterm"])
        defer { pane.close() }
        try pane.await("the prompt") { $0.contains("smtp>") }
        try pane.send("open_connection 127.0.0.1 \(server.port)", "Enter")
        try pane.send("ehlo client.example.com", "Enter")
        try pane.await("the ehlo prompt") { $0.contains("smtp[ehlo]>") }
        try pane.send("command AUTH LOGIN", "Enter")
        try pane.await("the user name challenge") { $0.contains("<-  334 VXNlcm5hbWU6") }
        try pane.send("command \(userLine)", "Enter")
        try pane.await("the password challenge") { $0.contains("<-  334 UGFzc3dvcmQ6") }
        try pane.send("command \(passwordLine) expect=535", "Enter")
        try pane.await("the refusal") { $0.contains("<-  535 5.7.8") }
        try pane.send("save transcript \(saved)", "Enter")
        try pane.send("C-d")
        try pane.await("the REPL to end") { _ in FileManager.default.fileExists(atPath: recorded) }
        let screen = try pane.captureAll()
        let history = try String(contentsOfFile: home + "/.smtp_repl_history", encoding: .utf8)
        #expect(history.contains("command AUTH LOGIN") && history.contains("command {secret}"), "\(history)")
        #expect(screen.contains("command {secret}") && screen.contains(" -> {secret}"), "\(screen)")
        for file in [saved, recorded] {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("> AUTH LOGIN") && text.contains("> {secret}"), "\(text)")
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
            for secret in [userLine, passwordLine, password] { #expect(!text.contains(secret), "\(secret) in \(file):\n\(text)") }
        }
        for secret in [userLine, passwordLine, password] {
            #expect(!history.contains(secret), "\(secret) in the history:\n\(history)")
            #expect(!screen.contains(secret), "\(secret) on the screen:\n\(screen)")
        }
    }

    @Test("SIGTERM and SIGHUP end the REPL at once, with the terminal as it was: at the first prompt and at the password prompt (echo off)",
          arguments: [SIGTERM, SIGHUP])
    func terminatingSignal(_ signal: Int32) throws {
        guard let tmux = Repl.require("tmux") else { return }
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: "220 mail.example.test ESMTP\n> EHLO client.example.com\n250-mail.example.test\n250 AUTH PLAIN\n@hang\n"),
            mode: .meaning, readTimeout: 20)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        for atPasswordPrompt in [false, true] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sig-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // The terminal's settings before the REPL and after it ended, and how it ended ("after"
            // appears whole, by a rename: the test reads it as soon as it exists).
            let command = "sh -c 'stty -g > \(directory)/before; echo repl-pid $$; exec \(Repl.binary)'; "
                + "echo exit=$? > \(directory)/status; stty -g > \(directory)/after.partial; mv \(directory)/after.partial \(directory)/after; sleep 30"
            let pane = try Pane(tmux: tmux, command: command, environment: ["HOME": directory, "NO_COLOR": "1", "TERM": "xterm"])
            defer { pane.close() }
            let screen = try pane.await("the prompt") { $0.contains("smtp>") }
            let pid = try #require(screen.split(separator: "\n").first { $0.hasPrefix("repl-pid ") }.flatMap { Int32($0.dropFirst(9)) })
            if atPasswordPrompt {
                try pane.send("open_connection 127.0.0.1 \(server.port) allow_cleartext=true", "Enter")
                try pane.send("ehlo client.example.com", "Enter")
                try pane.await("the ehlo prompt") { $0.contains("smtp[ehlo]>") }
                try pane.send("auth username=u schemes=PLAIN", "Enter")
                try pane.await("the password prompt") { $0.contains("password for u:") }
            }
            // One signal, sent as soon as the prompt shows: the REPL must end without a second one.
            kill(pid, signal)
            try pane.await("the REPL to end") { _ in FileManager.default.fileExists(atPath: directory + "/after") }
            let status = try String(contentsOfFile: directory + "/status", encoding: .utf8)
            #expect(status == "exit=\(128 + signal)\n", "at the \(atPasswordPrompt ? "password" : "first") prompt: \(status)")
            let before = try String(contentsOfFile: directory + "/before", encoding: .utf8)
            let after = try String(contentsOfFile: directory + "/after", encoding: .utf8)
            #expect(before == after, "the terminal is restored after the \(atPasswordPrompt ? "password" : "first") prompt")
        }
    }

    @Test("Ctrl-C at the prompt discards the line typed and the REPL goes on, as in a shell; at a data> prompt it drops the message unsent")
    func interruptDiscardsTheLine() throws {
        guard let tmux = Repl.require("tmux") else { return }
        // No DATA in the transcript: a message sent after all, or the discarded MAIL, leaves it.
        let script = """
            220 mail.example.test ESMTP
            > EHLO client.example.com
            250 mail.example.test
            > MAIL FROM:<a@example.com>
            250 2.1.0 OK
            > RCPT TO:<b@example.com>
            250 2.1.5 OK
            > QUIT
            221 2.0.0 Bye
            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 20)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("int-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let command = "sh -c 'exec \(Repl.binary)'; echo exit=$? > \(directory)/status.partial; mv \(directory)/status.partial \(directory)/status; sleep 30"
        let pane = try Pane(tmux: tmux, command: command, environment: ["HOME": directory, "NO_COLOR": "1", "TERM": "xterm"])
        defer { pane.close() }
        try pane.await("the prompt") { $0.contains("smtp>") }
        try pane.send("open_connection 127.0.0.1 \(server.port)", "Enter")
        try pane.send("ehlo client.example.com", "Enter")
        try pane.await("the ehlo prompt") { $0.contains("smtp[ehlo]>") }
        try pane.send("mail dropped@example.com")
        try pane.await("the line typed") { $0.contains("smtp[ehlo]> mail dropped@example.com") }
        try pane.send("C-c")
        try pane.await("a fresh prompt under the discarded line") { $0.contains("mail dropped@example.com^C\nsmtp[ehlo]>") }
        try pane.send("mail a@example.com", "Enter")
        try pane.send("rcpt b@example.com", "Enter")
        try pane.await("the rcpt prompt") { $0.contains("smtp[rcpt]>") }
        try pane.send("data <<EOF", "Enter")
        try pane.send("Subject: dropped", "Enter")
        try pane.await("the here-document prompt") { $0.contains("data> Subject: dropped") }
        try pane.send("C-c")
        try pane.await("the here-document discarded") { $0.contains("data: message discarded (Ctrl-C); nothing was sent") }
        try pane.send("data", "Enter")
        try pane.send("typed", "Enter")
        try pane.await("the message prompt") { $0.contains("data> typed") }
        try pane.send("C-c")
        try pane.await("the message discarded") { $0.components(separatedBy: "message discarded (Ctrl-C)").count == 3 }
        try pane.send("quit", "Enter")
        try pane.await("the 221") { $0.contains("221 2.0.0 Bye") }
        try pane.send("C-d")
        try pane.await("the REPL to end") { _ in FileManager.default.fileExists(atPath: directory + "/status") }
        let status = try String(contentsOfFile: directory + "/status", encoding: .utf8)
        let screen = try pane.captureAll()
        #expect(status == "exit=0\n", "\(status)\n\(screen)")
        let outcome = try #require(server.waitForOutcome(timeout: 10))
        #expect(outcome.followed, "\(String(describing: outcome.deviation))\n\(screen)")
        let history = try String(contentsOfFile: directory + "/.smtp_repl_history", encoding: .utf8)
        #expect(!history.contains("dropped"), "\(history)")
    }

    @Test("data before a recipient is refused before the message is typed; the lines typed then are dropped, never run as commands")
    func dataRefusedBeforeTheMessage() throws {
        guard let tmux = Repl.require("tmux") else { return }
        // Only EHLO and QUIT: an RSET typed as a message line and run as a command leaves it.
        let script = "220 mail.example.test ESMTP\n> EHLO client.example.com\n250 mail.example.test\n> QUIT\n221 2.0.0 Bye\n"
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 20)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("early-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pane = try Pane(tmux: tmux, command: "\(Repl.binary); sleep 30", environment: ["HOME": directory, "NO_COLOR": "1", "TERM": "xterm"])
        defer { pane.close() }
        try pane.await("the prompt") { $0.contains("smtp>") }
        try pane.send("open_connection 127.0.0.1 \(server.port)", "Enter")
        try pane.send("ehlo client.example.com", "Enter")
        try pane.await("the ehlo prompt") { $0.contains("smtp[ehlo]>") }
        try pane.send("data", "Enter")
        try pane.await("the refusal before any message line") {
            $0.contains("data before mail and rcpt (the lines up to a lone . are read and dropped)\ndata>")
        }
        for line in ["rset", "."] { try pane.send(line, "Enter") }
        try pane.await("the message dropped") { $0.contains("data: message dropped; nothing was sent") }
        try pane.send("data <<EOF", "Enter")
        try pane.await("the here-document refused at once") { $0.contains("(the lines up to EOF are read and dropped)\ndata>") }
        for line in ["rset", "EOF", "quit"] { try pane.send(line, "Enter") }
        try pane.await("the 221") { $0.contains("221 2.0.0 Bye") }
        let outcome = try #require(server.waitForOutcome(timeout: 10))
        let screen = try pane.captureAll()
        #expect(outcome.followed, "\(String(describing: outcome.deviation))\n\(screen)")
        #expect(!screen.contains("-> RSET"), "\(screen)")
    }
}
