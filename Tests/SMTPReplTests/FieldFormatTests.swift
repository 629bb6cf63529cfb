import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// swaks, openssl s_client, curl and PHPMailer captures made in this run against aiosmtpd with
/// STARTTLS and AUTH, wrapped as found in the field, converted without --from and served back to
/// the same tool; RFC-style C:/S: text.
@Suite("convert: more formats", .serialized)
struct FieldFormatTests {
    typealias Capture = FieldCaptureTests

    /// Converts each wrapping of `capture`, checks the format detected, the shape, that no secret
    /// survived, and that `client` follows the transcript when served.
    func check(_ capture: String, format: String, shape: [String], secrets: [String], mode: MatchMode = .strict,
               variants: [(String, String)]? = nil, client: (Int) throws -> Repl.Result) throws {
        for (how, log) in variants ?? FieldLogs.variants(capture) {
            let (transcript, output) = try Capture.convert(log, verbose: true)
            #expect(output.contains("\(format) output (detected)"), "\(how): \(output)")
            #expect(FieldLogs.shape(transcript) == shape, "\(how): \(transcript.render())")
            for secret in secrets { #expect(!output.contains(secret), "\(how): \(secret) survived") }
            let outcome = try Capture.serve(transcript, mode: mode) { port in
                let again = try client(port)
                #expect(again.status == 0, "\(how): \(again.output)")
            }
            #expect(outcome?.followed == true, "\(how): \(String(describing: outcome?.deviation)) \(outcome?.error ?? "")\n\(transcript.render())\n\(outcome?.received ?? [])")
        }
    }

    static let authenticated = ["220", "EHLO", "250", "STARTTLS", "220", "@tls", "EHLO", "250"]
    static let delivered = ["MAIL", "250", "RCPT", "250", "DATA", "354", ".", "250"]

    static func secrets(_ password: String) -> [String] {
        [password, Data(password.utf8).base64EncodedString(), Data("\u{0}alice\u{0}\(password)".utf8).base64EncodedString()]
    }

    @Test("swaks with STARTTLS and AUTH LOGIN converts in every wrapping and swaks follows it; an elided paste keeps its TLS boundary")
    func swaks() throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let swaks = Repl.require("swaks")
        else { return }
        func send(_ port: Int, _ password: String) throws -> Repl.Result {
            try Repl.run(swaks, ["--server", "localhost:\(port)", "--tls", "--tls-verify", "--tls-ca-path", Repl.path("certs/ca.pem"),
                                 "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", password, "--from", "alice@example.com",
                                 "--to", "bob@example.com", "--helo", "client.example.com", "--header", "Subject: field capture",
                                 "--body", "A line.\n.A line that starts with a dot.", "--timeout", "10"])
        }
        let sent = try send(peer.port, password)
        #expect(sent.status == 0, "\(sent.output)")
        let shape = Self.authenticated + ["AUTH", "334", "{secret}", "334", "{secret}", "235"] + Self.delivered + ["QUIT", "221"]
        try check(sent.output, format: "swaks", shape: shape, secrets: Self.secrets(password)) { port in try send(port, "another") }

        // "... lots of SMTP stuff ..." in place of the handshake and the second EHLO.
        let lines = FieldLogs.lines(sent.output)
        let from = try #require(lines.firstIndex { $0.hasPrefix("=== TLS started") })
        let to = try #require(lines.firstIndex { $0.hasPrefix(" ~> AUTH") })
        let elided = (lines[..<from] + ["   ... lots of SMTP stuff ..."] + lines[to...]).joined(separator: "\n")
        let (transcript, output) = try Capture.convert(elided)
        #expect(FieldLogs.shape(transcript).starts(with: ["220", "EHLO", "250", "STARTTLS", "220", "@tls", "AUTH"]), "\(output)")
        #expect(output.contains("(elided in the capture at line \(from + 1): ... lots of SMTP stuff ...)"), "\(output)")
        #expect(!output.contains("assumed"), "nothing is invented: \(output)")
    }

    @Test("an openssl s_client -starttls smtp terminal session converts (the exchange s_client hides assumed) and s_client follows it")
    func opensslSession() throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let python = Repl.require("python3"), let openssl = Repl.require("openssl")
        else { return }
        let plain = Data("\u{0}alice\u{0}\(password)".utf8).base64EncodedString()
        func session(_ port: Int, credential: String) throws -> Repl.Result {
            // As a person types it: lower-case rcpt (s_client renegotiates on a line starting with R), quit.
            try Repl.run(python, [Repl.path("Tests/SMTPReplTests/field/typist.py"), openssl, "s_client", "-starttls", "smtp",
                                  "-connect", "127.0.0.1:\(port)", "-CAfile", Repl.path("certs/ca.pem"), "-verify_hostname", "localhost",
                                  "-verify_return_error", "-crlf", "--", "EHLO client.example.com", "AUTH PLAIN \(credential)",
                                  "mail FROM:<alice@example.com>", "rcpt TO:<bob@example.com>", "DATA", "Subject: typed", "", "hello",
                                  ".", "quit"], timeout: 90)
        }
        let typed = try session(peer.port, credential: plain)
        #expect(typed.output.contains("235"), "\(typed.output)")
        let shape = ["220", "EHLO", "250", "STARTTLS", "220", "@tls", "EHLO", "250", "AUTH", "235"] + Self.delivered + ["QUIT", "221"]
        let capture = typed.output.replacingOccurrences(of: "\r", with: "")
        try check(capture, format: "openssl", shape: shape, secrets: Self.secrets(password),
                  variants: [("as captured", capture), ("indented in a build log", FieldLogs.buildLog(FieldLogs.indented(capture, by: "\t")))]) { port in
            try session(port, credential: Data("\u{0}alice\u{0}another".utf8).base64EncodedString())
        }
        #expect(try Capture.convert(capture).1.contains("(openssl s_client -starttls smtp read the greeting and sent EHLO and STARTTLS itself"))
    }

    @Test("curl -v smtp:// with STARTTLS and AUTH converts (its unseen content said so) and curl follows it")
    func curl() throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let curl = Repl.require("curl")
        else { return }
        let message = try Repl.temporaryFile("Subject: curl\r\nDate: Sat, 5 Dec 2026 00:00:00 +0000\r\n\r\nhello\r\n", suffix: ".eml")
        func send(_ port: Int, _ password: String) throws -> Repl.Result {
            try Repl.run(curl, ["-sv", "--ssl-reqd", "--cacert", Repl.path("certs/ca.pem"), "smtp://localhost:\(port)/client.example.com",
                                "--mail-from", "alice@example.com", "--mail-rcpt", "bob@example.com", "-T", message, "-u", "alice:\(password)",
                                "--max-time", "20"])
        }
        let sent = try send(peer.port, password)
        #expect(sent.status == 0, "\(sent.output)")
        let shape = Self.authenticated + ["AUTH", "334", "{secret}", "235"] + Self.delivered
        try check(sent.output, format: "curl", shape: shape, secrets: Self.secrets(password), mode: .meaning) { port in try send(port, "another") }
        #expect(try Capture.convert(sent.output).1.contains("(the rest of the message content is not in the capture)"))
    }

    @Test("PHPMailer SMTPDebug 2 with STARTTLS and AUTH LOGIN converts in every wrapping and PHPMailer follows it byte for byte")
    func phpmailer() throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let php = Repl.require("php")
        else { return }
        guard FileManager.default.fileExists(atPath: "/usr/share/php/libphp-phpmailer/autoload.php") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("libphp-phpmailer is not installed") }
            return
        }
        func send(_ port: Int, _ password: String) throws -> Repl.Result {
            try Repl.run(php, [Repl.path("Tests/SMTPReplTests/field/SendPHPMailer.php"), "localhost", String(port), password, Repl.path("certs/ca.pem")])
        }
        let sent = try send(peer.port, password)
        #expect(sent.status == 0 && sent.output.contains("[credentials hidden]"), "\(sent.output)")
        let shape = Self.authenticated + ["AUTH", "334", "{secret}", "334", "{secret}", "235"] + Self.delivered + ["QUIT", "221"]
        try check(sent.output, format: "phpmailer", shape: shape, secrets: Self.secrets(password)) { port in try send(port, "another") }
    }

    @Test("RFC 5321's example scenario, as printed in the RFC (indented, with prose and a page break), converts and smtplib follows it")
    func rfcExample() throws {
        guard let python = Repl.require("python3") else { return }
        let rfc = """
            D.1.  A Typical SMTP Transaction Scenario

               This SMTP example shows mail sent by Smith at host bar.com, and to
               Jones, Green, and Brown at host foo.com.  Here we assume that host
               bar.com contacts host foo.com directly.  The mail is accepted for
               Jones and Brown.  Green does not have a mailbox at host foo.com.

               S: 220 foo.com Simple Mail Transfer Service Ready
               C: EHLO bar.com
               S: 250-foo.com greets bar.com
               S: 250-8BITMIME
               S: 250-SIZE
               S: 250-DSN
               S: 250 HELP
               C: MAIL FROM:<Smith@bar.com>
               S: 250 OK
               C: RCPT TO:<Jones@foo.com>
               S: 250 OK
               C: RCPT TO:<Green@foo.com>
               S: 550 No such user here

            Klensin                     Standards Track                    [Page 80]
            \u{0C}
            RFC 5321                    SMTP                            October 2008

               C: RCPT TO:<Brown@foo.com>
               S: 250 OK
               C: DATA
               S: 354 Start mail input; end with <CRLF>.<CRLF>
               C: Blah blah blah...
               C: ...etc. etc. etc.
               C: .
               S: 250 OK
               C: QUIT
               S: 221 foo.com Service closing transmission channel
            """
        let (transcript, output) = try Capture.convert(rfc)
        #expect(output.contains("cs output (detected)"), "\(output)")
        #expect(FieldLogs.shape(transcript) == ["220", "EHLO", "250", "MAIL", "250", "RCPT", "250", "RCPT", "550", "RCPT", "250", "DATA", "354",
                                                 ".", "250", "QUIT", "221"], "\(output)")
        #expect(output.contains("> ...etc. etc. etc."), "content is content, not an elision")
        let program = """
            import smtplib, sys
            s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='bar.com', timeout=10)
            s.sendmail('Smith@bar.com', ['Jones@foo.com', 'Green@foo.com', 'Brown@foo.com'], 'Blah blah blah...\\r\\n...etc. etc. etc.\\r\\n')
            s.quit()
            """
        let outcome = try Capture.serve(transcript, mode: .meaning) { port in
            let sent = try Repl.run(python, ["-c", program, String(port)])
            #expect(sent.status == 0, "\(sent.output)")
        }
        #expect(outcome?.followed == true, "\(String(describing: outcome?.deviation))")
    }

    @Test("Postfix's own smtp(8) client with debug_peer_list, relaying to aiosmtpd: its real log converts amid the other daemons' lines and swaks follows it")
    func postfixClient() throws {
        guard let submission = TestPeers.peer("SMTP_POSTFIX_SUBMISSION"), let user = TestPeers.required("SMTP_POSTFIX_USER"),
            let password = TestPeers.required("SMTP_POSTFIX_PASSWORD"), let logPath = TestPeers.required("SMTP_POSTFIX_LOG"),
            let domain = TestPeers.required("SMTP_POSTFIX_CAPTURE_DOMAIN"), let swaks = Repl.require("swaks")
        else { return }
        let start = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
        let recipient = "p-\(UUID().uuidString.prefix(8).lowercased())@\(domain)"
        let submitted = try Repl.run(swaks, ["--server", "localhost:\(submission.port)", "--tls", "--tls-verify", "--tls-ca-path", Repl.path("certs/ca.pem"),
                                             "--auth", "PLAIN", "--auth-user", user, "--auth-password", password, "--from", user + "@example.test",
                                             "--to", recipient, "--helo", "client.example.test", "--header", "Subject: through postfix"])
        #expect(submitted.status == 0, "\(submitted.output)")
        // Postfix relays in the background: poll its log (bounded) for this delivery's QUIT.
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let data = (try? Data(contentsOf: URL(fileURLWithPath: logPath))) ?? Data()
            log = String(decoding: data.dropFirst(start), as: UTF8.self)
            if let sent = log.range(of: "to=<\(recipient)>, relay=127.0.0.1"), log[sent.upperBound...].contains(": QUIT\n") { break }
            usleep(100_000)
        }
        #expect(log.contains("to=<\(recipient)>") && log.contains("status=sent"), "no delivery of \(recipient) in \(logPath):\n\(log)")
        #expect(log.contains("postfix/submission/smtpd["), "the submission's own lines are in the capture")
        let shape = ["220", "EHLO", "250", "MAIL", "250", "RCPT", "250", "DATA", "354", ".", "250", "QUIT", "221"]
        try check(log, format: "postfix", shape: shape, secrets: Self.secrets(password), mode: .meaning) { port in
            try Repl.run(swaks, ["--server", "localhost:\(port)", "--from", user + "@example.test", "--to", recipient,
                                 "--helo", "postfix.example.test", "--header", "Subject: again"])
        }
        let (transcript, output) = try Capture.convert(log)
        #expect(output.contains("(the rest of the message content is not in the capture)") && output.contains("RCPT TO:<\(recipient)>")
                && output.contains("221 assumed"), "\(transcript.render())")
    }
}

/// Readers whose tool cannot run here: their documented line formats.
@Suite("convert: documented formats")
struct DocumentedFormatTests {
    @Test("Postfix debug_peer_list lines (syslog and maillog_file stamps) convert; another process's lines are skipped")
    func postfix() throws {
        // The format of Postfix's smtp_chat.c: "> host[addr]:port: line" / "< host[addr]:port: line".
        let log = """
            Dec  5 01:00:00 vm postfix/smtp[4242]: 2A1B3C4D5E: to=<bob@example.com>, relay=none
            Dec  5 01:00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 220 mx.example.test ESMTP
            Dec  5 01:00:00 vm postfix/smtp[4242]: > mx.example.test[192.0.2.10]:25: EHLO vm.example.com
            Dec  5 01:00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 250-mx.example.test
            Dec  5 01:00:00 vm postfix/smtpd[777]: < client[198.51.100.7]: EHLO other
            Dec  5 01:00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 250 PIPELINING
            Dec  5 01:00:00 vm postfix/smtp[4242]: > mx.example.test[192.0.2.10]:25: MAIL FROM:<alice@example.com> SIZE=312
            Dec  5 01:00:00 vm postfix/smtp[4242]: > mx.example.test[192.0.2.10]:25: RCPT TO:<bob@example.com>
            Dec  5 01:00:00 vm postfix/smtp[4242]: > mx.example.test[192.0.2.10]:25: DATA
            Dec  5 01:00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 250 2.1.0 Ok
            Dec  5 01:00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 250 2.1.5 Ok
            Dec  5 01:00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 354 End data with <CR><LF>.<CR><LF>
            2026-12-05T01:00:01.123456+00:00 vm postfix/smtp[4242]: < mx.example.test[192.0.2.10]:25: 250 2.0.0 Ok: queued as 4XyZ12
            2026-12-05T01:00:01.123456+00:00 vm postfix/smtp[4242]: > mx.example.test[192.0.2.10]:25: QUIT
            """
        let result = try TranscriptImporter.convert(Array(log.utf8))
        #expect(result.format == .postfix && result.detected)
        let rendered = result.transcript.render()
        #expect(FieldLogs.shape(result.transcript) == ["220", "EHLO", "250", "MAIL", "RCPT", "DATA", "250", "250", "354", ".", "250", "QUIT", "221"], "\(rendered)")
        #expect(rendered.contains("SIZE={any}") && rendered.contains("queued as {any}") && !rendered.contains("EHLO other"), "\(rendered)")
        #expect(rendered.contains("(the rest of the message content is not in the capture)"))
        #expect(rendered.hasSuffix("> QUIT\n(Postfix does not wait for the reply to QUIT; 221 assumed)\n221 2.0.0 Bye\n"), "\(rendered)")
    }

    @Test("a base64 run on a line of its own (a wrapped SASL response) is never listed by --verbose")
    func wrappedSecret() throws {
        let secret = "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnNlY3JldAEB"
        let capture = "220 mx ESMTP\nEHLO x\n250 mx\nAUTH XOAUTH2 \(secret.prefix(30))\n\(secret.dropFirst(30))\n235 ok\nQUIT\n221 bye\n"
        let result = try TranscriptImporter.convert(Array(capture.utf8), format: .openssl, keepSkipped: true)
        let everything = result.transcript.render() + result.skippedLines.map(\.text).joined()
        #expect(!everything.contains(secret.prefix(30)) && !everything.contains(secret.dropFirst(30)), "\(everything)")
    }
}
