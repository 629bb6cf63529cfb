import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// `smtp-repl run` and `demo` as a user runs them: the built binary, real sockets, exit codes.
@Suite("smtp-repl run and demo")
struct RunTests {
    @Test("demo: exit 0, STARTTLS, the second EHLO inside TLS, 250 after the data")
    func demo() throws {
        let result = try Repl.repl(["demo"])
        #expect(result.status == 0, "\(result.output)")
        let output = result.output
        let startTLS = try #require(output.range(of: " -> STARTTLS"))
        let secondEHLO = try #require(output.range(of: " ~> EHLO client.example.com"))
        #expect(startTLS.upperBound < secondEHLO.lowerBound)
        #expect(output.contains("=== TLS started: TLSv1."))
        let dot = try #require(output.range(of: " ~> .\n"))
        #expect(output[dot.upperBound...].hasPrefix("<~  250 2.0.0 OK"))
        #expect(!output.contains("demo-password") && !output.contains(Base64.encode("demo-password")))
    }

    static let scripts = Repl.path("fixtures/scripts")

    @Test("a script that follows the server: exit 0; expect=550 handles the refusal; source, show, save transcript")
    func success() throws {
        let server = try Repl.serve("multi-recipient-550.txt")
        defer { server.stop() }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID().uuidString).txt").path
        let result = try Repl.repl(["run", "\(Self.scripts)/multi-recipient-550.smtp", "--var", "PORT=\(server.port)",
                                    "--var", "DIR=\(Self.scripts)", "--var", "RECORD=\(record)"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("<-  550 5.1.1"))
        #expect(result.output.contains("5.1.1 (Postfix): the recipient does not exist"), "the refusal explained from its text")
        #expect(result.output.contains("  ENHANCEDSTATUSCODES"), "show capabilities")
        #expect(result.output.contains("phase: session"), "show state")
        let saved = try String(contentsOfFile: record, encoding: .utf8)
        #expect(saved.contains("> RCPT TO:<carol@example.com>") && saved.contains("> hello"), "save transcript after source")
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("an unhandled 5xx stops the script: exit 1 naming file, line and reply")
    func unhandled() throws {
        let server = try Repl.serve("multi-recipient-550.txt")
        defer { server.stop() }
        let script = "\(Self.scripts)/unhandled-550.smtp"
        let result = try Repl.repl(["run", script, "--var", "PORT=\(server.port)"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("\(script):6: rcpt nobody@example.com: "), "\(result.output)")
        #expect(result.output.contains("permanent error: 550 5.1.1"), "\(result.output)")
        #expect(!result.output.contains("carol"))
    }

    @Test("a failed expect: exit 1")
    func failedExpect() throws {
        let server = try Repl.serve("multi-recipient-550.txt")
        defer { server.stop() }
        let script = try Repl.temporaryFile("open_connection 127.0.0.1 ${PORT}\nexpect 5xx\n")
        let result = try Repl.repl(["run", script, "--var", "PORT=\(server.port)"])
        #expect(result.status == 1)
        #expect(result.output.contains(":2: expect 5xx: expect: expected 5xx, got 220"), "\(result.output)")
    }

    @Test("syntax errors: exit 2 with file and line", arguments: [
        ("noop\nehlo \"unterminated\n", 2, "unterminated quoted string"),
        ("open_connection 127.0.0.1 ${NOT_SET}\n", 1, "${NOT_SET} is not set"),
        ("\n\nfrobnicate now\n", 3, "unknown command \"frobnicate\""),
        ("data <<EOF\nline\n", 1, "here-document <<EOF is not closed"),
        ("open_connection 127.0.0.1 port=99999\n", 1, "port must be 1-65535"),
        ("noop\nehlo client.example.com bogus=1\n", 2, "ehlo: unknown parameter bogus=; it takes expect="),
        ("open_connection 127.0.0.1 25 tx_timeot=5\n", 1, "unknown parameter tx_timeot=; it takes host= port= tx_timeout="),
        ("noop\n\nauth username=a password=x allow_cleartext=true\n", 3, "allow_cleartext= belongs to open_connection"),
        ("open_connection 127.0.0.1:2525 25\n", 1, "the port is given twice"),
    ])
    func syntax(_ script: String, _ line: Int, _ message: String) throws {
        let path = try Repl.temporaryFile(script)
        let result = try Repl.repl(["run", path])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(path):\(line)"), "\(result.output)")
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test("an unreachable port: exit 3")
    func unreachable() throws {
        let server = try TranscriptServer(transcript: Transcript(parsing: "220 x\n"))
        let port = server.port
        server.stop()
        let script = try Repl.temporaryFile("open_connection 127.0.0.1 \(port) tx_timeout=5\n")
        let result = try Repl.repl(["run", script])
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("open_connection"))
    }

    @Test("scripts from standard input, and --record writes a redacted transcript that replays")
    func stdinAndRecord() throws {
        let server = try Repl.serve("office365-starttls.txt")
        defer { server.stop() }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString).txt").path
        let script = """
            open_connection 127.0.0.1 ${PORT} secure_host=localhost
            ehlo client.example.com
            starttls
            ehlo client.example.com
            auth username=sender@example.com password=${PW} schemes="LOGIN XOAUTH2"
            mail sender@example.com
            rcpt receiver@example.com
            data "Subject: subject\\n\\ncontent\\n"
            quit
            """
        let result = try Repl.run(
            Repl.binary, ["run", "-", "--var", "PORT=\(server.port)", "--var", "PW=hunter2hunter2", "--record", record,
                           "--trust", Repl.path("certs/ca.pem")],
            input: script)
        #expect(result.status == 0, "\(result.output)")
        let recorded = try String(contentsOfFile: record, encoding: .utf8)
        #expect(recorded.contains("@tls") && recorded.contains("> AUTH LOGIN") && recorded.contains("> {secret}"))
        #expect(!recorded.contains("hunter2") && !recorded.contains(Base64.encode("hunter2hunter2")))
        #expect(try #require(server.waitForOutcome()).followed)
    }

    @Test("wallet_path=file:DIR: the seed's open_connection trusts what the wallet holds, and nothing else")
    func walletPath() throws {
        let wallet = FileManager.default.temporaryDirectory.appendingPathComponent("wallet-\(UUID().uuidString)").path
        let tool = Repl.root.appendingPathComponent(".build/debug/smtp-wallet").path
        let environment = ["WALLET_PASSWORD": "wallet-pw"]
        #expect(try Repl.run(tool, ["create", "-w", "file:" + wallet, "--password-env", "WALLET_PASSWORD"], environment: environment).status == 0)
        let script = """
            open_connection host=127.0.0.1 port=${PORT} tx_timeout=10 wallet_path=file:\(wallet) wallet_password=${WALLET_PASSWORD} secure_host=localhost
            ehlo client.example.com
            starttls
            ehlo client.example.com
            show cert
            close_connection
            """
        let path = try Repl.temporaryFile(script)
        // An empty wallet trusts nothing: the handshake fails with exit 3.
        let refusing = try Repl.serve("office365-starttls.txt")
        let refused = try Repl.run(Repl.binary, ["run", path, "--var", "PORT=\(refusing.port)"], environment: environment)
        refusing.stop()
        #expect(refused.status == 3, "\(refused.output)")
        #expect(refused.output.contains("unknown issuer"), "\(refused.output)")
        #expect(try Repl.run(tool, ["add", "-w", wallet, "--password-env", "WALLET_PASSWORD", Repl.path("certs/ca.pem")], environment: environment).status == 0)
        let server = try Repl.serve("office365-starttls.txt")
        defer { server.stop() }
        let accepted = try Repl.run(Repl.binary, ["run", path, "--var", "PORT=\(server.port)"], environment: environment)
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(!accepted.output.contains("wallet-pw"))
        #expect(accepted.output.contains("sha256:"), "show cert prints the chain")
    }

    @Test("replay: replies side by side; exit 0 when they match, 1 with the differing line; --record")
    func replay() throws {
        let server = try Repl.serve("plain-submission.txt")
        defer { server.stop() }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("replayed-\(UUID().uuidString).txt").path
        let result = try Repl.repl(["replay", Repl.path("fixtures/transcripts/plain-submission.txt"), "--server", "127.0.0.1:\(server.port)", "--record", record])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("MAIL FROM:<alice@example.com>") && result.output.contains("250 = 250"))
        #expect(try String(contentsOfFile: record, encoding: .utf8).contains("> RCPT TO:<bob@example.com>"))
        _ = server.waitForOutcome()

        // The server answers the RCPT with 550 where the transcript has 250.
        let other = try Repl.serve("multi-recipient-550.txt")
        defer { other.stop() }
        let script = try Repl.temporaryFile("""
            220 mx
            > EHLO client.example.com
            250 mx
            > MAIL FROM:<alice@example.com>
            250 ok
            > RCPT TO:<bob@example.com>
            250 ok
            > RCPT TO:<nobody@example.com>
            250 ok
            """, suffix: ".txt")
        let differs = try Repl.repl(["replay", script, "--server", "127.0.0.1:\(other.port)"])
        #expect(differs.status == 1, "\(differs.output)")
        #expect(differs.output.contains("250 ≠ 550"), "\(differs.output)")
    }

    @Test("replay: a client line the API refuses (the seed's placeholder address) is reported as FILE:LINE, exit 2")
    func replayNamesTheLine() throws {
        let text = """
            220 mx
            > EHLO client.example.com
            250 mx
            > MAIL FROM:<sender's office365 mail address>
            250 ok
            """
        let script = try Repl.temporaryFile(text, suffix: ".txt")
        let server = try TranscriptServer(transcript: try Transcript(parsing: text), mode: .meaning, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let result = try Repl.repl(["replay", script, "--server", "127.0.0.1:\(server.port)"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(script):4: ") && result.output.contains("is not a mailbox"), "\(result.output)")
    }

    @Test("replay --starttls upgrades a transcript recorded without STARTTLS, against aiosmtpd requiring it")
    func replayStartTLS() throws {
        guard let peer = ProcessInfo.processInfo.environment["SMTP_AIOSMTPD_TLS"] else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("SMTP_AIOSMTPD_TLS is not set") }
            return
        }
        let script = try Repl.temporaryFile("""
            220 x
            > EHLO client.example.com
            250 x
            > MAIL FROM:<alice@example.com>
            250 ok
            > RSET
            250 ok
            > QUIT
            221 bye
            """, suffix: ".txt")
        let plain = try Repl.repl(["replay", script, "--server", peer])
        #expect(plain.status == 1, "without STARTTLS aiosmtpd answers 530: \(plain.output)")
        let upgraded = try Repl.repl(["replay", script, "--server", peer, "--starttls", "--trust", Repl.path("certs/ca.pem"),
                                      "--secure-host", "localhost"])
        #expect(upgraded.status == 0, "\(upgraded.output)")
        #expect(upgraded.output.contains("STARTTLS"))
    }

    @Test("auth credential=o365 schemes=XOAUTH2: the token comes from the wallet; the server sees the exact XOAUTH2 string; no secret in the output")
    func credentialXOAUTH2() throws {
        let wallet = FileManager.default.temporaryDirectory.appendingPathComponent("o365-\(UUID().uuidString)").path
        let tool = Repl.root.appendingPathComponent(".build/debug/smtp-wallet").path
        let environment = ["WALLET_PASSWORD": "wallet-pw-9"]
        #expect(try Repl.run(tool, ["create", "-w", wallet, "--password-env", "WALLET_PASSWORD"], environment: environment).status == 0)
        #expect(try Repl.run(tool, ["add", "-w", wallet, "--password-env", "WALLET_PASSWORD", Repl.path("certs/ca.pem")], environment: environment).status == 0)
        let added = try Repl.run(tool, ["credential", "add", "o365", "-w", wallet, "--password-env", "WALLET_PASSWORD",
                                        "--kind", "token-command", "--username", "sender@contoso.com", "--command", "echo at-123"],
                                 environment: environment)
        #expect(added.status == 0, "\(added.output)")
        let server = try Repl.serve("office365-xoauth2.txt", mode: .strict)
        defer { server.stop() }
        let script = try Repl.temporaryFile("""
            open_connection 127.0.0.1 ${PORT} tx_timeout=10 wallet_path=file:\(wallet) wallet_password=${WALLET_PASSWORD} secure_host=localhost
            ehlo client.example.com
            starttls
            ehlo client.example.com
            auth username=sender@contoso.com credential=o365 schemes="XOAUTH2"
            mail sender@contoso.com
            rcpt receiver@example.com
            data "Subject: oauth2\\n\\nsent with a token\\n"
            quit
            """)
        let record = script + ".transcript"
        let result = try Repl.run(Repl.binary, ["run", script, "--var", "PORT=\(server.port)", "--record", record], environment: environment)
        #expect(result.status == 0, "\(result.output)")
        let outcome = try #require(server.waitForOutcome())
        #expect(outcome.followed, "the server saw the exact XOAUTH2 string: \(String(describing: outcome.deviation))")
        let recorded = try String(contentsOfFile: record, encoding: .utf8)
        let xoauth = Base64.encode("user=sender@contoso.com\u{1}auth=Bearer at-123\u{1}\u{1}")
        for text in [result.output, recorded] {
            #expect(!text.contains("at-123") && !text.contains(xoauth) && !text.contains("wallet-pw-9"))
        }
        #expect(recorded.contains("> AUTH XOAUTH2 {secret}"))
    }

    @Test("a failing line is shown without its secrets: password=, token=, wallet_password= and a raw AUTH line")
    func secretsHiddenInErrors() throws {
        for (line, secret) in [("auth username=alice password=Wr0ngPass99 schemes=PLAIN", "Wr0ngPass99"),
                               ("auth username=alice token=ya29.SECRETTOKEN schemes=XOAUTH2", "ya29.SECRETTOKEN"),
                               ("auth credential=o365 wallet_password=\"wallet pass 7\"", "wallet pass 7"),
                               ("command \"AUTH PLAIN AGFsaWNlAFNlY3JldDk5\"", "AGFsaWNlAFNlY3JldDk5"),
                               ("command AUTH PLAIN AGFsaWNlAFNlY3JldDk5", "AGFsaWNlAFNlY3JldDk5"),
                               ("auth username=alice password=\"Unclosed9 schemes=PLAIN", "Unclosed9")] {
            let path = try Repl.temporaryFile(line + "\n")
            let result = try Repl.repl(["run", path])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.output.contains("not connected") || result.output.contains("unterminated quoted string"), "\(result.output)")
            #expect(!result.output.contains(secret) && result.output.contains("{secret}"), "\(result.output)")
        }
        // A ${NAME} reference is not a secret: it stays as written.
        let path = try Repl.temporaryFile("auth username=alice password=${SMTP_PASSWORD}\n")
        let result = try Repl.repl(["run", path, "--var", "SMTP_PASSWORD=FromVar1"])
        #expect(result.output.contains("password=${SMTP_PASSWORD}") && !result.output.contains("FromVar1"), "\(result.output)")
    }

    @Test("NAME=VALUE words of mail, rcpt and command are sent as written (ESMTP parameters), not dropped; HOST:PORT connects")
    func esmtpParameters() throws {
        let transcript = """
            220 mail.example.test ESMTP
            > EHLO client.example.com
            250-mail.example.test
            250 SIZE 10000
            > MAIL FROM:<alice@example.com> SIZE=100
            250 2.1.0 Ok
            > RCPT TO:<bob@example.com> NOTIFY=FAILURE
            250 2.1.5 Ok
            > XCLIENT NAME=x
            250 ok
            > QUIT
            221 Bye

            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: transcript, name: "esmtp"), mode: .strict, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let script = try Repl.temporaryFile("""
            open_connection 127.0.0.1:${PORT}
            ehlo client.example.com
            mail alice@example.com SIZE=100
            rcpt bob@example.com NOTIFY=FAILURE
            command XCLIENT NAME=x
            quit

            """)
        let result = try Repl.repl(["run", script, "--var", "PORT=\(server.port)"])
        #expect(result.status == 0, "\(result.output)")
        #expect(try #require(server.waitForOutcome()).followed, "\(result.output)")
    }

    @Test("auth refused before sending says what to do: the default scheme and the schemes offered; cleartext")
    func authHints() throws {
        for (line, status, hint) in [("auth username=a password=p", 1, "auth uses CRAM-MD5 unless schemes= names others"),
                                     ("auth username=a password=p", 1, "give e.g. schemes=\"LOGIN PLAIN\""),
                                     ("auth username=a password=p schemes=PLAIN", 2, "open_connection … allow_cleartext=true to opt in")] {
            let server = try TranscriptServer(transcript: try Transcript(parsing: """
                220 mail.example.test ESMTP
                > EHLO client.example.com
                250-mail.example.test
                250 AUTH LOGIN PLAIN

                """, name: "auth-offer"), readTimeout: 10)
            server.start(connections: 1, acceptTimeout: 30)
            defer { server.stop() }
            let script = try Repl.temporaryFile("open_connection 127.0.0.1:${PORT}\nehlo client.example.com\n\(line)\n")
            let result = try Repl.repl(["run", script, "--var", "PORT=\(server.port)"])
            #expect(result.status == Int32(status), "\(result.output)")
            #expect(result.output.contains(hint), "\(result.output)")
        }
    }

    @Test("a server quoting the password in its 535: the REPL's console, error and --record transcript (0600) hold none of it")
    func echoedPasswordHidden() throws {
        let password = "TopSecretPW"
        let blob = Base64.encode([0] + Array("user@example.com".utf8) + [0] + Array(password.utf8))
        let script = """
            220 hostile.example ESMTP
            > EHLO client.example.com
            250-hostile.example
            250 AUTH PLAIN
            > AUTH PLAIN {secret}
            535-5.7.8 bad password \(password) (\(Base64.encode(password)))
            535 5.7.8 you sent \(blob)
            """
        let server = try TranscriptServer(transcript: try Transcript(parsing: script), mode: .meaning, readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString).txt").path
        let result = try Repl.run(
            Repl.binary, ["run", "-", "--var", "PW=\(password)", "--record", record],
            input: """
                open_connection 127.0.0.1 \(server.port) allow_cleartext=true
                ehlo client.example.com
                auth username=user@example.com password=${PW} schemes=PLAIN
                """)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("535 5.7.8 bad password {secret}"), "\(result.output)")
        let recorded = try String(contentsOfFile: record, encoding: .utf8)
        let mode = try FileManager.default.attributesOfItem(atPath: record)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(String(mode ?? 0, radix: 8))")
        for secret in [password, Base64.encode(password), blob] {
            #expect(!result.output.contains(secret), "\(secret) in:\n\(result.output)")
            #expect(!recorded.contains(secret), "\(secret) in:\n\(recorded)")
        }
    }
}
