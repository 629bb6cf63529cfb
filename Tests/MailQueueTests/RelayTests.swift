import Foundation
import MailQueue
import Testing

/// `mail-queue relay` with real clients (Python smtplib, swaks, JavaMail) in front and a real
/// upstream (aiosmtpd requiring STARTTLS and AUTH) behind.
@Suite("Relay", .serialized)
struct RelayTests {
    static let tls = ["--tls-cert", TestEnvironment.cert("server.pem"), "--tls-key", TestEnvironment.cert("server.key")]
    static let ca = TestEnvironment.cert("ca.pem")

    func code(_ object: [String: Any]) -> Int { object["code"] as? Int ?? 0 }
    func text(_ object: [String: Any]) -> String { object["text"] as? String ?? "" }

    @Test("refusals: each with its reply, nothing stored")
    func refusals() throws {
        let relay = try RelayProcess()
        try relay.start(Self.tls + ["--no-send", "--max-message-size", "10000", "--max-recipients", "5",
                                    "--max-connections-per-client", "3", "--idle-timeout", "3", "--auth-failure-delay", "0"])
        defer { relay.stop() }
        let login = ["--user", "alice@example.com", "--password", RelayProcess.alicePassword, "--starttls", Self.ca]
        let message = relay.queue.directory + "/m.eml"
        try Data("Subject: refused\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: message))

        #expect(code(try relay.client("noauth")) == 530)
        let cleartext = try relay.client("cleartext")
        #expect(cleartext["offered"] as? Bool == false)
        #expect(code(cleartext["auth"] as? [String: Any] ?? [:]) == 538)
        let wrong = try relay.client("submit", ["--user", "alice@example.com", "--password", "wrong", "--starttls", Self.ca,
                                                "--from", "alice@example.com", "--to", "bob@example.com", "--file", message])
        #expect(code(wrong) == 535 && text(wrong).hasPrefix("5.7.8"))
        let notAllowed = try relay.client("submit", login + ["--from", "boss@example.com", "--to", "bob@example.com", "--file", message])
        #expect(code(notAllowed) == 550 && text(notAllowed).hasPrefix("5.7.1"), "\(notAllowed)")
        let large = try relay.client("toolarge", login + ["--size", "20000"])
        #expect(code(large) == 552 && text(large).hasPrefix("5.3.4"), "\(large)")
        let rcpts = try relay.client("rcpts", login + ["--count", "6"])
        let codes = (rcpts["replies"] as? [[String: Any]] ?? []).map(code)
        #expect(codes == [250, 250, 250, 250, 250, 452], "\(rcpts)")
        for kind in ["lf", "cr", "nul", "smuggle"] {
            let bare = try relay.client("bare", login + ["--kind", kind])
            #expect(code(bare) == 554 && text(bare).hasPrefix("5.6.0"), "\(kind): \(bare)")
            #expect(code(bare["after"] as? [String: Any] ?? [:]) == 250)
        }
        let injected = try relay.client("inject", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                                   "--starttls", Self.ca])
        #expect((injected["starttls"] as? String)?.hasPrefix("220") == true)
        #expect(injected["rcpt"] as? [String] == ["503 5.5.1 Need MAIL command"], "\(injected)")
        #expect(injected["mail"] as? [String] == ["530 5.7.0 Authentication required"], "\(injected)")
        let overlong = try relay.client("overlong")
        let lines = overlong["replies"] as? [String] ?? []
        #expect(lines.contains("500 5.5.2 Line too long (the limit is 2048 octets)") && lines.contains("250 2.0.0 OK"), "\(lines)")
        let silent = try relay.client("silent")
        #expect(silent["after"] as? String == "421 4.4.2 relay.test Error: timeout exceeded")
        #expect(silent["closed"] as? Bool == true)
        #expect((silent["seconds"] as? Double ?? 0) < 10)
        let crowd = try relay.client("connections", ["--count", "4"])
        let greetings = crowd["greetings"] as? [String] ?? []
        #expect(greetings.prefix(3).allSatisfy { $0.hasPrefix("220 relay.test") } && greetings.last?.hasPrefix("421 4.7.0") == true,
                "\(greetings)")
        #expect(try relay.stored() == 0)
        let log = relay.log
        #expect(!log.contains(RelayProcess.alicePassword) && log.contains("discarded-after-starttls="), "\(log)")
    }

    @Test("a database error answers 451 4.3.0 and stores nothing; the session goes on")
    func databaseError() throws {
        let relay = try RelayProcess()
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback"])
        defer { relay.stop() }
        let message = relay.queue.directory + "/m.eml"
        try Data("Subject: not stored\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: message))
        // The queue's table taken away under the running relay: every insert fails.
        #expect(try runProcess("sqlite3", [relay.queue.path, "ALTER TABLE mail_request RENAME TO mail_request_away"]).status == 0)
        let refused = try relay.client("submit", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                                  "--from", "alice@example.com", "--to", "bob@example.com", "--file", message])
        #expect(code(refused) == 451 && text(refused).hasPrefix("4.3.0"), "\(refused)")
        #expect(try runProcess("sqlite3", [relay.queue.path, "ALTER TABLE mail_request_away RENAME TO mail_request"]).status == 0)
        #expect(try relay.stored() == 0)
        #expect(relay.log.contains("result=not-stored"), "\(relay.log)")
        let accepted = try relay.client("submit", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                                   "--from", "alice@example.com", "--to", "bob@example.com", "--file", message])
        #expect(code(accepted) == 250, "\(accepted)")
        #expect(try relay.stored() == 1)
    }

    @Test("AUTH in cleartext only on loopback and only when asked; never offered on other listeners")
    func cleartextPolicy() throws {
        let relay = try RelayProcess()
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback"])
        defer { relay.stop() }
        let message = relay.queue.directory + "/m.eml"
        try Data("Subject: loopback\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: message))
        let sent = try relay.client("submit", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                               "--mech", "LOGIN", "--from", "alice@example.com", "--to", "bob@example.com", "--file", message])
        #expect(code(sent) == 250 && text(sent).hasPrefix("2.0.0 queued as "), "\(sent)")
        #expect(try relay.stored() == 1)
        relay.stop()
        // Without a certificate a non-loopback listener would never offer AUTH: refused at start.
        let refused = try runProcess(TestEnvironment.binary, ["relay", "--database", relay.queue.database, "--wallet", relay.wallet,
                                                              "--listen", "127.0.0.1:0", "--no-send"])
        #expect(refused.status == 2 && refused.stderr.contains("AUTH needs TLS"), "\(refused.output)")
        // More recipients than the queue takes per request would be accepted, then refused at the dot.
        let tooMany = try runProcess(TestEnvironment.binary, ["relay", "--database", relay.queue.database, "--wallet", relay.wallet,
                                                              "--max-recipients", "101", "--no-send"])
        #expect(tooMany.status == 2 && tooMany.stderr.contains("--max-recipients 101: must be from 1 to 100"), "\(tooMany.output)")
        // A --listen address is read as send's --metrics and --smtp are: a port required, IPv6 in brackets.
        for (listen, reason) in [("127.0.0.1", "give HOST:PORT, e.g. 127.0.0.1:2525"), ("::1:2525", "an IPv6 address goes in brackets"),
                                 ("127.0.0.1:70000", "the port must be a number from 0 to 65535")] {
            let bad = try runProcess(TestEnvironment.binary, ["relay", "--database", relay.queue.database, "--wallet", relay.wallet,
                                                              "--listen", listen, "--no-send"])
            #expect(bad.status == 2 && bad.stderr.contains("--listen \(listen): \(reason)"), "\(bad.output)")
        }
    }

    @Test("smtplib (PLAIN, LOGIN), swaks and JavaMail submit through the relay; each message arrives once, byte for byte, with the client's envelope")
    func delivery() throws {
        guard let upstream = TestEnvironment.required("SMTP_AIOSMTPD_TLS"),
              let maildir = TestEnvironment.required("SMTP_AIOSMTPD_TLS_MAILDIR") else { return }
        let relay = try RelayProcess()
        try relay.start(Self.tls + ["--smtp", upstream, "--security", "starttls", "--ca-file", Self.ca, "--credential-alias", "up",
                                    "--helo", "relay.test", "--idle-poll-seconds", "0.2"])
        defer { relay.stop() }
        let marker = "relay-\(UUID().uuidString)"
        var submitted: [(id: String, content: [UInt8]?, from: String, to: [String])] = []

        // smtplib, AUTH PLAIN: 8-bit body, UTF-8 header, a dot line, a blind copy only in the envelope.
        let content = Array("From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: caf\u{e9} \(marker)\r\nMessage-ID: <\(marker)-1@example.com>\r\n\r\n.leading dot\r\n8-bit: \u{65e5}\u{672c}\r\n\r\n".utf8)
        let file = relay.queue.directory + "/plain.eml"
        try Data(content).write(to: URL(fileURLWithPath: file))
        let plain = try relay.client("submit", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                                "--starttls", Self.ca, "--from", "alice@example.com", "--to", "bob@example.com",
                                                "--to", "hidden@example.com", "--file", file, "--options", "BODY=8BITMIME"])
        #expect(code(plain) == 250, "\(plain)")
        submitted.append((String(text(plain).dropFirst("2.0.0 queued as ".count)), content, "alice@example.com",
                          ["bob@example.com", "hidden@example.com"]))

        // smtplib, AUTH LOGIN, the printer sending for another address of its domain.
        let loginContent = Array("Subject: login \(marker)\r\n\r\nfrom the printer\r\n".utf8)
        let loginFile = relay.queue.directory + "/login.eml"
        try Data(loginContent).write(to: URL(fileURLWithPath: loginFile))
        let login = try relay.client("submit", ["--user", "printer", "--password", RelayProcess.printerPassword, "--mech", "LOGIN",
                                                "--starttls", Self.ca, "--from", "scanner@example.com", "--to", "bob@example.com",
                                                "--file", loginFile])
        #expect(code(login) == 250, "\(login)")
        submitted.append((String(text(login).dropFirst("2.0.0 queued as ".count)), loginContent, "scanner@example.com", ["bob@example.com"]))

        // swaks, AUTH LOGIN over STARTTLS.
        let swaks = "/usr/bin/swaks"
        if !FileManager.default.fileExists(atPath: swaks) {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("swaks is not installed") }
        } else {
            let result = try runProcess(swaks, ["--server", "127.0.0.1:\(relay.port)", "--tls", "--auth", "LOGIN",
                                                "--auth-user", "alice@example.com", "--auth-password", RelayProcess.alicePassword,
                                                "--from", "alice@example.com", "--to", "carol@example.com",
                                                "--header", "Subject: swaks \(marker)", "--body", "from swaks", "--helo", "client.test"])
            #expect(result.status == 0, "\(result.output)")
            let id = result.stdout.split(separator: "\n").first { $0.contains("queued as ") }.map { String($0.split(separator: " ").last ?? "") }
            #expect(id != nil, "\(result.output)")
            if let id { submitted.append((id, nil, "alice@example.com", ["carol@example.com"])) }
        }

        // JavaMail (Jakarta Mail), AUTH over STARTTLS with certificate and host name checks.
        if let javaMail = try JavaMailClient.make() {
            let result = try javaMail.send(port: relay.port, user: "alice@example.com", password: RelayProcess.alicePassword)
            #expect(result.status == 0, "\(result.output)")
            let id = result.stdout.split(separator: "\n").first { $0.hasPrefix("250 2.0.0 queued as ") }
                .map { String($0.dropFirst("250 2.0.0 queued as ".count)) }
            #expect(id != nil, "\(result.output)")
            if let id { submitted.append((id, nil, "alice@example.com", ["bob@example.com"])) }
        }

        #expect(submitted.count == 4 || ProcessInfo.processInfo.environment["CI"] != "true")
        for entry in submitted {
            let arrived = Maildir.await(1, in: maildir, containing: "id \(entry.id)")
            #expect(arrived.count == 1, "request \(entry.id) arrived \(arrived.count) times; \(relay.log)")
            guard let (path, bytes) = arrived.first else { continue }
            let stored = try rawMessage(relay, entry.id)
            #expect(Array(bytes) == stored, "upstream got the stored message byte for byte")
            if let content = entry.content {
                #expect(Array(bytes).starts(with: Array("Received: from client.test".utf8)))
                #expect(Array(bytes.suffix(content.count)) == content, "the client's bytes follow the Received: field unchanged")
            }
            #expect(!String(decoding: bytes, as: UTF8.self).contains("hidden@example.com"))
            let meta = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: String(path.dropLast(4)) + ".json"))) as? [String: Any]
            #expect(meta?["mail_from"] as? String == entry.from)
            #expect(meta?["rcpt_tos"] as? [String] == entry.to)
            #expect(meta?["login"] as? String == "alice", "sent upstream with the mapped credential")
        }
        #expect(try eventually(timeout: 20) { try relay.queue.counts()["sent"] == submitted.count }, "\(relay.log)")
        #expect(relay.log.contains("result=queued") && !relay.log.contains(RelayProcess.alicePassword))
    }

    @Test("the seed's UTL_SMTP PL/SQL (only host and port changed) and smtplib through the relay to an upstream that takes only XOAUTH2 tokens from the local token endpoint")
    func seedThroughXOAUTH2() throws {
        guard let openssl = ["/usr/bin/openssl"].first(where: FileManager.default.fileExists) else { return }
        let tokens = try LocalPeer.tokenServer()
        defer { tokens.stop() }
        let relay = try RelayProcess()
        let maildir = relay.queue.directory + "/upstream-mail"
        let upstream = try LocalPeer.xoauth2Upstream(user: "sender@contoso.com", tokenPort: tokens.port, maildir: maildir)
        defer { upstream.stop() }
        // The relay's certificate names smtp.office365.com, so the seed's TLS check passes unchanged.
        let directory = relay.queue.directory
        try "subjectAltName=DNS:smtp.office365.com\n".write(toFile: directory + "/ext", atomically: true, encoding: .utf8)
        #expect(try runProcess(openssl, ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/o365.key",
                                         "-subj", "/CN=smtp.office365.com", "-out", directory + "/o365.csr"]).status == 0)
        #expect(try runProcess(openssl, ["x509", "-req", "-in", directory + "/o365.csr", "-CA", Self.ca, "-CAkey", TestEnvironment.cert("ca.key"),
                                         "-CAcreateserial", "-CAserial", directory + "/ca.srl", "-days", "2", "-extfile", directory + "/ext",
                                         "-out", directory + "/o365.pem"]).status == 0)
        try RelayProcess.wallet(["credential", "add", "o365", "-w", relay.wallet, "--auto-login", "--kind", "client-secret",
                                 "--username", "sender@contoso.com", "--tenant", "contoso.onmicrosoft.com", "--client-id", "app-id",
                                 "--authority", "https://127.0.0.1:\(tokens.port)", "--secret-env", "SECRET"], secret: "right-secret")
        let appPassword = "Seed-App-Pw-7"
        try RelayProcess.wallet(["credential", "add", "sender@contoso.com", "-w", relay.wallet, "--auto-login", "--kind", "relay-user",
                                 "--upstream", "o365", "--secret-env", "SECRET"], secret: appPassword)
        // SSL_CERT_FILE: the relay trusts the test CA for the token endpoint (OpenSSL's default paths).
        try relay.start(["--tls-cert", directory + "/o365.pem", "--tls-key", directory + "/o365.key", "--smtp", "127.0.0.1:\(upstream.port)",
                         "--security", "starttls", "--ca-file", Self.ca, "--credential-alias", "o365", "--helo", "relay.test",
                         "--idle-poll-seconds", "0.2"], environment: ["SSL_CERT_FILE": Self.ca])
        defer { relay.stop() }

        // The seed's PL/SQL, run by smtp-repl: host smtp.office365.com reached at the relay's port.
        let walletDirectory = directory + "/plsql-wallet"
        try RelayProcess.wallet(["create", "-w", "file:" + walletDirectory, "--password-env", "SECRET"], secret: "plsql-wallet-pw")
        try RelayProcess.wallet(["add", "-w", "file:" + walletDirectory, "--password-env", "SECRET", Self.ca], secret: "plsql-wallet-pw")
        let repl = TestEnvironment.root.appendingPathComponent(".build/debug/smtp-repl").path
        let seed = TestEnvironment.root.appendingPathComponent("fixtures/plsql/office365-seed.sql").path
        let ran = try runProcess(repl, ["run", seed, "--connect-to", "smtp.office365.com:587=127.0.0.1:\(relay.port)",
                                        "--wallet", "file:" + walletDirectory, "--wallet-password-env", "WALLET_PASSWORD",
                                        "--var", "HOST_NAME=db.contoso.com",
                                        "--var", "SENDER=sender@contoso.com", "--var", "RECEIVER=receiver@example.com"],
                                 environment: ["PASSWORD": appPassword, "WALLET_PASSWORD": "plsql-wallet-pw"], timeout: 120)
        #expect(ran.status == 0, "\(ran.output)\n\(relay.log)")
        #expect(ran.output.contains("mail sent to receiver@example.com") && !ran.output.contains(appPassword))
        var ids: [String] = []
        if let line = ran.output.split(separator: "\n").first(where: { $0.contains("250 2.0.0 queued as ") }),
           let id = line.split(separator: " ").last {
            ids.append(String(id))
        }
        #expect(ids.count == 1, "\(ran.output)")

        // smtplib, AUTH PLAIN, the same user.
        let content = Array("Subject: smtplib via XOAUTH2\r\n\r\nbody\r\n".utf8)
        let file = directory + "/m.eml"
        try Data(content).write(to: URL(fileURLWithPath: file))
        let sent = try relay.client("submit", ["--user", "sender@contoso.com", "--password", appPassword, "--starttls", Self.ca,
                                               "--server-name", "smtp.office365.com",
                                               "--from", "sender@contoso.com", "--to", "receiver@example.com", "--file", file])
        #expect(code(sent) == 250, "\(sent)")
        ids.append(String(text(sent).dropFirst("2.0.0 queued as ".count)))

        for id in ids {
            let arrived = Maildir.await(1, in: maildir, containing: "id \(id)", timeout: 30)
            #expect(arrived.count == 1, "request \(id) arrived \(arrived.count) times\n\(relay.log)")
            guard let (path, bytes) = arrived.first else { continue }
            #expect(Array(bytes) == (try rawMessage(relay, id)))
            let meta = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: String(path.dropLast(4)) + ".json"))) as? [String: Any]
            #expect(meta?["login"] as? String == "sender@contoso.com", "authenticated upstream with XOAUTH2 as the mapped credential")
            #expect(meta?["mail_from"] as? String == "sender@contoso.com")
            #expect(meta?["rcpt_tos"] as? [String] == ["receiver@example.com"])
        }
        #expect(try eventually(timeout: 20) { try relay.queue.counts()["sent"] == 2 }, "\(relay.log)")
        #expect(!relay.log.contains(appPassword) && !relay.log.contains("right-secret"))
    }

    func rawMessage(_ relay: RelayProcess, _ id: String) throws -> [UInt8] {
        let out = relay.queue.directory + "/\(id).raw"
        let result = try runProcess("/bin/sh", ["-c", "exec \"$0\" show --raw \"$1\" --database \"$2\" > \"$3\"",
                                                TestEnvironment.binary, id, relay.queue.database, out])
        #expect(result.status == 0, "\(result.output)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
    }
}

/// JavaMailClient compiles Tests/SMTPReplTests/javamail/SendAuth.java against Debian's Jakarta
/// Mail and sends one message with it (mail.debug on, so the replies are in its output).
struct JavaMailClient {
    var java: String
    var classpath: String
    var trustStore: String

    static func make() throws -> JavaMailClient? {
        let jars = ["/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"]
        guard FileManager.default.fileExists(atPath: "/usr/bin/javac"), jars.allSatisfy(FileManager.default.fileExists) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("javac or libjakarta-mail-java is not installed") }
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-javamail-\(UUID().uuidString)").path
        let source = TestEnvironment.root.appendingPathComponent("Tests/SMTPReplTests/javamail/SendAuth.java").path
        let compiled = try runProcess("/usr/bin/javac", ["-d", directory, "-cp", jars.joined(separator: ":"), source])
        #expect(compiled.status == 0, "\(compiled.output)")
        let trustStore = directory + "/trust.p12"
        let imported = try runProcess("keytool", ["-importcert", "-noprompt", "-file", TestEnvironment.cert("ca.pem"), "-alias", "test-ca",
                                                  "-keystore", trustStore, "-storetype", "PKCS12", "-storepass", "changeit"])
        #expect(imported.status == 0, "\(imported.output)")
        return JavaMailClient(java: "/usr/bin/java", classpath: ([directory] + jars).joined(separator: ":"), trustStore: trustStore)
    }

    func send(port: Int, user: String, password: String) throws -> ProcessResult {
        try runProcess(java, ["-Djava.net.preferIPv4Stack=true", "-Djavax.net.ssl.trustStore=\(trustStore)",
                              "-Djavax.net.ssl.trustStorePassword=changeit", "-cp", classpath, "SendAuth",
                              "localhost", String(port), "starttls", user, password], timeout: 120)
    }
}
