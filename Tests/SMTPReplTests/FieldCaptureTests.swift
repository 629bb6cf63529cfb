import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// Captures made in this run by the real tools (JavaMail, smtplib) against real peers, wrapped as
/// they are found in the field, converted without --from, and served back to the same tool.
@Suite("convert: field captures", .serialized)
struct FieldCaptureTests {
    /// Converts a capture with `smtp-repl convert` (format detected) and returns the transcript and stderr.
    static func convert(_ capture: String, verbose: Bool = false, file: String = #function) throws -> (Transcript, String) {
        let input = try Repl.temporaryFile(capture, suffix: ".log")
        let output = input + ".txt"
        let result = try Repl.repl(["convert", input, "-o", output] + (verbose ? ["--verbose"] : []))
        #expect(result.status == 0, "\(result.output)")
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (try Transcript(parsing: text, name: output), result.output + text)
    }

    /// Serves `transcript` (with the test certificate) to one client run by `client`; true when it followed.
    static func serve(_ transcript: Transcript, mode: MatchMode, client: (Int) throws -> Void) throws -> ServeOutcome? {
        let server = try TranscriptServer(
            transcript: transcript, mode: mode, tlsCertificatePath: Repl.path("certs/server.pem"),
            tlsKeyPath: Repl.path("certs/server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        try client(server.port)
        return server.waitForOutcome()
    }

    // MARK: JavaMail

    struct JavaMail {
        var java: String
        var classpath: String
        var trustStore: String

        static func make() throws -> JavaMail? {
            guard let javac = Repl.require("javac"), let java = Repl.require("java"), let keytool = Repl.require("keytool") else { return nil }
            let jars = ["/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"]
            guard jars.allSatisfy(FileManager.default.fileExists) else {
                if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("libjakarta-mail-java is not installed") }
                return nil
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("javamail-\(UUID().uuidString)").path
            let compiled = try Repl.run(javac, ["-d", directory, "-cp", jars.joined(separator: ":"), Repl.path("Tests/SMTPReplTests/javamail/SendAuth.java")])
            #expect(compiled.status == 0, "\(compiled.output)")
            let trustStore = directory + "/trust.p12"
            let imported = try Repl.run(keytool, ["-importcert", "-noprompt", "-file", Repl.path("certs/ca.pem"), "-alias", "test-ca",
                                                  "-keystore", trustStore, "-storetype", "PKCS12", "-storepass", "changeit"])
            #expect(imported.status == 0, "\(imported.output)")
            return JavaMail(java: java, classpath: ([directory] + jars).joined(separator: ":"), trustStore: trustStore)
        }

        func send(port: Int, password: String, traceAuth: Bool = false) throws -> Repl.Result {
            try Repl.run(java, ["-Djava.net.preferIPv4Stack=true", "-Djavax.net.ssl.trustStore=\(trustStore)",
                                "-Djavax.net.ssl.trustStorePassword=changeit", "-cp", classpath, "SendAuth",
                                "localhost", String(port), "starttls", "alice", password] + (traceAuth ? ["trace-auth"] : []))
        }
    }

    static let javamailShape = ["220", "EHLO", "250", "STARTTLS", "220", "@tls", "EHLO", "250", "AUTH", "334", "{secret}", "334", "{secret}"]

    @Test("JavaMail with STARTTLS and a suppressed AUTH trace: every wrapping converts, and JavaMail follows it again byte for byte")
    func javamail() throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let javamail = try JavaMail.make()
        else { return }
        let sent = try javamail.send(port: peer.port, password: password)
        #expect(sent.status == 0, "\(sent.output)")
        #expect(sent.output.contains("AUTH LOGIN command trace suppressed"), "\(sent.output)")
        let failed = try javamail.send(port: peer.port, password: "not-the-password")
        #expect(failed.status != 0)
        #expect(failed.output.contains("AuthenticationFailedException: 535"), "\(failed.output)")

        let cases: [(String, String, [String], Int32)] = [
            ("delivered", sent.output, Self.javamailShape + ["235", "MAIL", "250", "RCPT", "250", "DATA", "354", ".", "250", "QUIT", "221"], 0),
            ("refused", failed.output, Self.javamailShape + ["535"], 1),
        ]
        for (name, capture, shape, status) in cases {
            for (how, log) in FieldLogs.variants(capture) {
                let (transcript, output) = try Self.convert(log)
                #expect(output.contains("javamail output (detected)"), "\(name) \(how): \(output)")
                #expect(FieldLogs.shape(transcript) == shape, "\(name) \(how): \(transcript.render())")
                #expect(!output.contains("[Pipeline]") && !output.contains("\tat ") && !output.contains("cache miss"), "\(name) \(how)")
                let rendered = transcript.render()
                if status == 1 { #expect(rendered.contains("535 5.7.8 Authentication credentials invalid"), "\(how): \(rendered)") }
                if status == 0 {
                    #expect(rendered.contains("> Date: {date}") && rendered.contains("> Message-ID: {msgid}"), "\(how)")
                    #expect(rendered.contains("> DEBUG: a body line that looks like JavaMail's own."), "\(name) \(how)")
                }
                let outcome = try Self.serve(transcript, mode: .strict) { port in
                    let again = try javamail.send(port: port, password: "another-password")
                    #expect(again.status == status, "\(name) \(how): \(again.output)")
                }
                #expect(outcome?.followed == true, "\(name) \(how): \(String(describing: outcome?.deviation)) \(outcome?.error ?? "")")
            }
        }
    }

    @Test("JavaMail with mail.debug.auth: no credential survives any wrapping, not even in --verbose")
    func javamailCredentials() throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let javamail = try JavaMail.make()
        else { return }
        let sent = try javamail.send(port: peer.port, password: password, traceAuth: true)
        #expect(sent.status == 0, "\(sent.output)")
        let secrets = [password, Data(password.utf8).base64EncodedString(), Data("alice".utf8).base64EncodedString()]
        #expect(secrets.dropFirst().allSatisfy { sent.output.contains($0) }, "the capture should hold the AUTH LOGIN trace")
        for (how, log) in FieldLogs.variants(sent.output) + [("echoed by a wrapper script", "+ java SendAuth --password \(password)\n" + sent.output)] {
            let (transcript, output) = try Self.convert(log, verbose: true)
            for secret in secrets { #expect(!output.contains(secret), "\(how): \(secret) survived") }
            #expect(FieldLogs.shape(transcript).starts(with: Self.javamailShape + ["235"]), "\(how): \(transcript.render())")
        }
    }

    // MARK: smtplib

    static let smtplibProgram = """
        import smtplib, ssl, sys, email.utils
        host, port, level, user, password, ca = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
        if level == 1:
            s = smtplib.SMTP(timeout=10)
            s.set_debuglevel(1)
            s._host = host  # the name starttls() verifies; SMTP(host) would connect before debugging starts
            s.connect(host, port)
        else:
            s = smtplib.SMTP(host, port, timeout=10)
            s.set_debuglevel(level)
        s.ehlo('client.example.com')
        s.starttls(context=ssl.create_default_context(cafile=ca))
        s.ehlo('client.example.com')
        s.login(user, password)
        body = 'A line long enough to be wrapped by any terminal that shows it, ' * 3
        message = ('Date: %s\\r\\nMessage-ID: %s\\r\\nSubject: field capture\\r\\n\\r\\n%s\\r\\n.A line that starts with a dot.\\r\\n'
                   % (email.utils.formatdate(), email.utils.make_msgid(), body))
        s.sendmail('alice@example.com', ['bob@example.com'], message)
        s.quit()
        """

    @Test("smtplib debug levels 1 and 2 with STARTTLS and AUTH PLAIN: every wrapping converts, and smtplib follows it again", arguments: [1, 2])
    func smtplib(_ level: Int) throws {
        guard let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"), let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD"),
            let python = Repl.require("python3")
        else { return }
        func send(_ port: Int, _ password: String, level: Int) throws -> Repl.Result {
            try Repl.run(python, ["-c", Self.smtplibProgram, "127.0.0.1", String(port), String(level), "alice", password, Repl.path("certs/ca.pem")])
        }
        let sent = try send(peer.port, password, level: level)
        #expect(sent.status == 0, "\(sent.output)")
        let plain = Data("\u{0}alice\u{0}\(password)".utf8).base64EncodedString()
        #expect(sent.output.contains(plain))
        var shape = ["EHLO", "250", "STARTTLS", "220", "@tls", "EHLO", "250", "AUTH", "235", "MAIL", "250", "RCPT", "250", "DATA", "354", ".", "250", "QUIT", "221"]
        // Level 1 is set before connecting (the greeting is in the capture); level 2 after (it is not).
        shape.insert("220", at: 0)
        for (how, log) in FieldLogs.variants(sent.output) {
            let (transcript, output) = try Self.convert(log, verbose: true)
            #expect(output.contains("smtplib output (detected)"), "\(how): \(output)")
            #expect(FieldLogs.shape(transcript) == shape, "\(how): \(transcript.render())")
            #expect(!output.contains(plain) && !output.contains(password), "\(how): a credential survived")
            #expect(output.contains("> AUTH PLAIN {secret}") && output.contains("> Date: {date}") && output.contains("> ..A line that starts"), "\(how)")
            #expect(output.contains("(no greeting in the capture; 220 assumed)") == (level == 2), "\(how)")
            let outcome = try Self.serve(transcript, mode: .strict) { port in
                let again = try send(port, "another-password", level: 0)
                #expect(again.status == 0, "\(how): \(again.output)")
            }
            #expect(outcome?.followed == true, "\(how): \(String(describing: outcome?.deviation)) \(outcome?.error ?? "")")
        }
    }

    // MARK: what is not a capture, and how captures are saved

    @Test("a file with no SMTP in it is refused with exit 2, saying what it looks like")
    func notACapture() throws {
        let cases = [
            ("CREATE OR REPLACE PROCEDURE send_mail IS\n  c UTL_SMTP.CONNECTION;\nBEGIN\n  c := UTL_SMTP.OPEN_CONNECTION('smtp.example.com', 25);\nEND;\n/\n", "PL/SQL"),
            ("The mail server did not answer.\nWe tried again later and it worked.\n", "prose"),
            ("", "empty"),
        ]
        for (text, what) in cases {
            let input = try Repl.temporaryFile(text, suffix: ".log")
            let result = try Repl.repl(["convert", input])
            #expect(result.status == 2, "\(what): \(result.output)")
            #expect(result.output.contains("\(input):1: no SMTP reply found") && result.output.contains(what), "\(result.output)")
        }
    }

    @Test("a capture saved as UTF-16 with a BOM and CRLF (PowerShell) converts like the UTF-8 one")
    func utf16() throws {
        guard let python = Repl.require("python3"), let peer = TestPeers.peer("SMTP_AIOSMTPD_TLS"),
            let password = TestPeers.required("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        let sent = try Repl.run(python, ["-c", Self.smtplibProgram, "127.0.0.1", String(peer.port), "1", "alice", password, Repl.path("certs/ca.pem")])
        let crlf = sent.output.replacingOccurrences(of: "\n", with: "\r\n")
        for (encoding, bom) in [(String.Encoding.utf16LittleEndian, [UInt8]([0xFF, 0xFE])), (.utf16BigEndian, [0xFE, 0xFF])] {
            let path = try Repl.temporaryFile("", suffix: ".log")
            try (Data(bom) + crlf.data(using: encoding)!).write(to: URL(fileURLWithPath: path))
            let utf16 = try Repl.repl(["convert", path])
            #expect(utf16.status == 0 && utf16.output.contains("read as UTF-16"), "\(utf16.output)")
            let utf8 = try Self.convert(sent.output).0
            #expect(utf16.output.contains(utf8.render().replacingOccurrences(of: "(0 non-SMTP lines skipped)\n", with: "")), "\(utf16.output)")
        }
    }
}
