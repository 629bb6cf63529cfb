import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// `smtp-repl run FILE.sql`: UTL_SMTP PL/SQL as written, against `serve` of the Office365
/// fixture (STARTTLS, --connect-to, --wallet) and against real aiosmtpd and Postfix+Dovecot.
@Suite("smtp-repl run FILE.sql")
struct PLSQLRunTests {
    static let seed = Repl.path("fixtures/plsql/office365-seed.sql")
    static let walletPassword = "wallet-pw-15"
    static let smtpPassword = "Seed-Secret-42"

    /// A certificate for smtp.office365.com signed by the test CA, made by openssl here.
    static func office365Certificate() throws -> (pem: String, key: String)? {
        guard let openssl = Repl.require("openssl") else { return nil }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("o365-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = directory + "/o365.key", csr = directory + "/o365.csr", pem = directory + "/o365.pem", ext = directory + "/ext"
        try "subjectAltName=DNS:smtp.office365.com\n".write(toFile: ext, atomically: true, encoding: .utf8)
        let request = try Repl.run(openssl, ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", "/CN=smtp.office365.com", "-out", csr])
        #expect(request.status == 0, "\(request.output)")
        let signed = try Repl.run(openssl, ["x509", "-req", "-in", csr, "-CA", TestPaths.cert("ca.pem"), "-CAkey", TestPaths.cert("ca.key"),
                                            "-CAcreateserial", "-CAserial", directory + "/ca.srl", "-days", "30", "-extfile", ext, "-out", pem])
        #expect(signed.status == 0, "\(signed.output)")
        return (pem, key)
    }

    /// A wallet holding the test CA, made with smtp-wallet, its password in WALLET_PASSWORD.
    static func wallet() throws -> String {
        let wallet = FileManager.default.temporaryDirectory.appendingPathComponent("wallet-\(UUID().uuidString)").path
        let tool = Repl.root.appendingPathComponent(".build/debug/smtp-wallet").path
        let environment = ["WALLET_PASSWORD": walletPassword]
        #expect(try Repl.run(tool, ["create", "-w", "file:" + wallet, "--password-env", "WALLET_PASSWORD"], environment: environment).status == 0)
        #expect(try Repl.run(tool, ["add", "-w", "file:" + wallet, "--password-env", "WALLET_PASSWORD", TestPaths.cert("ca.pem")], environment: environment).status == 0)
        return "file:" + wallet
    }

    static func seedArguments(_ script: String, connectTo: String, wallet: String, sender: String = "sender@example.com",
                              receiver: String = "receiver@example.com") -> [String] {
        ["run", script, "--connect-to", connectTo, "--wallet", wallet, "--wallet-password-env", "WALLET_PASSWORD",
         "--var", "HOST_NAME=client.example.com", "--var", "SENDER=\(sender)", "--var", "RECEIVER=\(receiver)"]
    }

    static func environment(password: String = smtpPassword) -> [String: String] {
        ["WALLET_PASSWORD": walletPassword, "PASSWORD": password]
    }

    @Test("the seed's PL/SQL, completed, against serve of the Office365 fixture over STARTTLS: --connect-to, TLS verifying smtp.office365.com, --wallet; strict")
    func seedAgainstServe() throws {
        guard let certificate = try Self.office365Certificate() else { return }
        let wallet = try Self.wallet()
        let text = try String(contentsOfFile: Repl.path("fixtures/transcripts/office365-starttls.txt"), encoding: .utf8)
        let server = try TranscriptServer(transcript: try Transcript(parsing: text, name: "office365-starttls.txt"), mode: .strict,
                                          tlsCertificatePath: certificate.pem, tlsKeyPath: certificate.key, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let result = try Repl.run(Repl.binary, Self.seedArguments(Self.seed, connectTo: "smtp.office365.com:587=127.0.0.1:\(server.port)", wallet: wallet),
                                  environment: Self.environment())
        #expect(result.status == 0, "\(result.output)")
        let outcome = try #require(server.waitForOutcome())
        #expect(outcome.followed, "\(String(describing: outcome.deviation))\n\(result.output)")
        #expect(result.output.contains("TLS started") && result.output.contains("certificate CN=smtp.office365.com"), "\(result.output)")
        // DBMS_OUTPUT comes in order with the conversation: after the 221 to QUIT.
        let quit = try #require(result.output.range(of: "<~  221 2.0.0"))
        let printed = try #require(result.output.range(of: "\nmail sent to receiver@example.com\n"))
        #expect(quit.upperBound < printed.lowerBound)
        for secret in [Self.smtpPassword, Base64.encode(Self.smtpPassword), Self.walletPassword, "password'"] {
            #expect(!result.output.contains(secret), "\(secret) in \(result.output)")
        }
    }

    @Test("--connect-to keeps TLS honest: a certificate without smtp.office365.com is refused (ORA-29024), reported as Oracle does, exit 1")
    func connectToStillVerifies() throws {
        let wallet = try Self.wallet()
        let server = try Repl.serve("office365-starttls.txt")  // certs/server.pem: localhost, mail.example.test
        defer { server.stop() }
        let result = try Repl.run(Repl.binary, Self.seedArguments(Self.seed, connectTo: "smtp.office365.com:587=127.0.0.1:\(server.port)", wallet: wallet),
                                  environment: Self.environment())
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("ORA-29024: Certificate validation failure\n"), "\(result.output)")
        #expect(result.output.contains("ORA-06512: at line 23"), "the STARTTLS line: \(result.output)")
        #expect(!result.output.contains(" ~> AUTH") && !result.output.contains(Self.smtpPassword))
    }

    @Test("535 to AUTH: the seed's handler QUITs, raise_application_error ends the run: ORA-20000 with SQLERRM, ORA-06512 at the file's line, the reply explained, exit 1")
    func seedAuthRefused() throws {
        guard let certificate = try Self.office365Certificate() else { return }
        let wallet = try Self.wallet()
        let transcript = """
            220 smtp.office365.com ESMTP
            > EHLO client.example.com
            250-smtp.office365.com
            250 STARTTLS
            > STARTTLS
            220 2.0.0 SMTP server ready
            @tls
            > EHLO client.example.com
            250-smtp.office365.com
            250 AUTH LOGIN XOAUTH2
            > AUTH LOGIN
            334 VXNlcm5hbWU6
            > {secret}
            334 UGFzc3dvcmQ6
            > {secret}
            535 5.7.139 Authentication unsuccessful, basic authentication is disabled.
            > QUIT
            221 2.0.0 Service closing transmission channel

            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: transcript, name: "auth-535"), mode: .strict,
                                          tlsCertificatePath: certificate.pem, tlsKeyPath: certificate.key, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let result = try Repl.run(Repl.binary, Self.seedArguments(Self.seed, connectTo: "smtp.office365.com:587=127.0.0.1:\(server.port)", wallet: wallet),
                                  environment: Self.environment(password: "Wrong-Pass-535"))
        #expect(result.status == 1, "\(result.output)")
        #expect(try #require(server.waitForOutcome()).followed, "the handler sent QUIT: \(result.output)")
        #expect(result.output.contains("""
            ORA-20000: Failed to send mail due to the following error: ORA-29279: SMTP permanent error: 535 5.7.139 Authentication unsuccessful, basic authentication is disabled.
            ORA-06512: at line 53
            """), "\(result.output)")
        #expect(result.output.contains("last reply: 535 5.7.139"), "\(result.output)")
        #expect(!result.output.contains("Wrong-Pass-535") && !result.output.contains(Base64.encode("Wrong-Pass-535")))
    }

    @Test("a REPL script takes --connect-to and --wallet too: the seed's open_connection unchanged, TLS verifying smtp.office365.com")
    func replScriptConnectTo() throws {
        guard let certificate = try Self.office365Certificate() else { return }
        let wallet = try Self.wallet()
        let text = try String(contentsOfFile: Repl.path("fixtures/transcripts/office365-starttls.txt"), encoding: .utf8)
        let server = try TranscriptServer(transcript: try Transcript(parsing: text, name: "office365-starttls.txt"),
                                          tlsCertificatePath: certificate.pem, tlsKeyPath: certificate.key, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let script = try Repl.temporaryFile("""
            open_connection host=smtp.office365.com port=587 tx_timeout=60 wallet_path=file:path_to_wallet wallet_password=password
            ehlo client.example.com
            starttls
            ehlo client.example.com
            auth sender@example.com ${PASSWORD} 'LOGIN XOAUTH2'
            mail sender@example.com
            rcpt receiver@example.com
            data <<EOF
            Subject: subject

            content
            EOF
            quit

            """)
        let result = try Repl.run(Repl.binary, ["run", script, "--connect-to", "smtp.office365.com:587=127.0.0.1:\(server.port)", "--wallet", wallet,
                                                "--wallet-password-env", "WALLET_PASSWORD"], environment: Self.environment())
        #expect(result.status == 0, "\(result.output)")
        #expect(try #require(server.waitForOutcome()).followed, "\(result.output)")
        #expect(result.output.contains("TLS verifies smtp.office365.com") && result.output.contains("certificate CN=smtp.office365.com"), "\(result.output)")
        #expect(!result.output.contains(Self.smtpPassword) && !result.output.contains(Self.walletPassword))
        // Without --wallet the script's own wallet path is used, and it does not exist.
        let without = try Repl.run(Repl.binary, ["run", script, "--connect-to", "smtp.office365.com:587=127.0.0.1:1"], environment: Self.environment())
        #expect(without.status == 2 && without.output.contains("wallet_path=file:path_to_wallet"), "\(without.output)")
        // A malformed --connect-to is a usage error.
        let malformed = try Repl.run(Repl.binary, ["run", script, "--connect-to", "smtp.office365.com=127.0.0.1"], environment: Self.environment())
        #expect(malformed.status == 2 && malformed.output.contains("--connect-to takes HOST:PORT=HOST2:PORT2"), "\(malformed.output)")
    }

    @Test("run --check reads a whole file and sends nothing: the seed parses; an unset &NAME, a bad line, an unset :NAME are exit 2 with FILE:LINE")
    func check() throws {
        let ok = try Repl.run(Repl.binary, ["run", "--check", Self.seed, "--var", "HOST_NAME=h", "--var", "SENDER=s", "--var", "RECEIVER=r", "--var", "PASSWORD=p"])
        #expect(ok.status == 0 && ok.output.contains("PL/SQL, 1 units, no errors") && !ok.output.contains("connecting"), "\(ok.output)")
        let unset = try Repl.run(Repl.binary, ["run", "--check", Self.seed, "--var", "HOST_NAME=h"], environment: ["PASSWORD": "p"])
        #expect(unset.status == 2 && unset.output.contains("\(Self.seed):27: substitution variable &SENDER is not set"), "\(unset.output)")
        let bad = try Repl.temporaryFile("BEGIN\n  UTL_SMTP.helo(c, 'x')\n  NULL;\nEND;\n/\n", suffix: ".sql")
        let badResult = try Repl.run(Repl.binary, ["run", "--check", bad])
        #expect(badResult.status == 2 && badResult.output.contains("\(bad):3: expected ; after the call to UTL_SMTP"), "\(badResult.output)")
        let bind = try Repl.temporaryFile("BEGIN\n  DBMS_OUTPUT.put_line(:who);\nEND;\n/\n", suffix: ".sql")
        let bindResult = try Repl.run(Repl.binary, ["run", bind])
        #expect(bindResult.status == 2 && bindResult.output.contains("\(bind):2: bind variable :WHO is not set: give --var WHO=VALUE"), "\(bindResult.output)")
        let repl = try Repl.temporaryFile("open_connection localhost 25\nehlo ${NOT_GIVEN}\n")
        let replResult = try Repl.run(Repl.binary, ["run", "--check", repl])
        #expect(replResult.status == 2 && replResult.output.contains(":2: ") && !replResult.output.contains("connecting"), "\(replResult.output)")
    }

    /// The seed pointed at a real peer: its host literal becomes `localhost` (the name the
    /// peers' certificate carries), --connect-to sends localhost:587 to the peer.
    static func seedFor(peer: String) throws -> String {
        let text = try String(contentsOfFile: seed, encoding: .utf8).replacingOccurrences(of: "'smtp.office365.com'", with: "'localhost'")
        return try Repl.temporaryFile(text, suffix: ".sql")
    }

    @Test("the seed's PL/SQL against real aiosmtpd (STARTTLS + AUTH LOGIN): the message arrives byte for byte")
    func seedAgainstAiosmtpd() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD_TLS"), let maildir = Repl.peer("SMTP_AIOSMTPD_TLS_MAILDIR"),
            let user = Repl.peer("SMTP_AIOSMTPD_USER"), let password = Repl.peer("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        let receiver = "r-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let result = try Repl.run(Repl.binary, Self.seedArguments(try Self.seedFor(peer: peer), connectTo: "localhost:587=\(peer)", wallet: try Self.wallet(),
                                                                  sender: user, receiver: receiver),
                                  environment: ["WALLET_PASSWORD": Self.walletPassword, "PASSWORD": password])
        #expect(result.status == 0, "\(result.output)")
        let message = String(decoding: try #require(try Repl.receivedMessage(in: maildir, containing: "To: \(receiver)")), as: UTF8.self)
        let lines = message.components(separatedBy: "\r\n")
        #expect(lines.count == 11 && lines[0].hasPrefix("Date: ") && lines[3].hasPrefix("Message-ID: <"), "\(message)")
        #expect(lines.dropFirst().first == "From: \(user)")
        #expect(Array(lines[4...]) == ["Subject: subject", "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
                                      "Content-Transfer-Encoding: 7bit", "", "content", ""], "\(message)")
        #expect(!result.output.contains(password) && !result.output.contains(Base64.encode(password)))
    }

    @Test("the seed's PL/SQL against real Postfix submission with Dovecot SASL: delivered to the Maildir")
    func seedAgainstPostfix() throws {
        guard let peer = Repl.peer("SMTP_POSTFIX_SUBMISSION"), let maildir = Repl.peer("SMTP_POSTFIX_MAILDIR"),
            let user = Repl.peer("SMTP_POSTFIX_USER"), let password = Repl.peer("SMTP_POSTFIX_PASSWORD")
        else { return }
        let receiver = "p-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        var arguments = Self.seedArguments(try Self.seedFor(peer: peer), connectTo: "localhost:587=\(peer)", wallet: try Self.wallet(), receiver: receiver)
        arguments[arguments.firstIndex(of: "SENDER=sender@example.com")!] = "SENDER=\(user)"
        let result = try Repl.run(Repl.binary, arguments, environment: ["WALLET_PASSWORD": Self.walletPassword, "PASSWORD": password])
        #expect(result.status == 0, "\(result.output)")
        let delivered = try #require(Self.maildirMessage(in: maildir + "/new", containing: "To: \(receiver)"), "\(result.output)")
        #expect(delivered.contains("Subject: subject\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\ncontent\n"),
                "\(delivered)")
    }

    static func maildirMessage(in directory: String, containing marker: String, timeout: Double = 15) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                if let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8), text.contains(marker) { return text }
            }
            usleep(100_000)
        } while Date() < deadline
        return nil
    }
}
