import Foundation
import SMTPConversation
import Testing

/// The REPL sends message text exactly as typed, takes UTL_SMTP's positional orders, resolves
/// every `${NAME}` before connecting, and never shows a secret in an error.
@Suite("smtp-repl fidelity")
struct FidelityTests {
    @Test("write_data, write_raw_data and a here-document arrive at aiosmtpd byte for byte: quotes, #, runs of spaces, tabs, escapes")
    func textAsTyped() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD"), let maildir = Repl.peer("SMTP_AIOSMTPD_MAILDIR") else { return }
        let marker = UUID().uuidString
        let script = try Repl.temporaryFile("""
            open_connection ${PEER} tx_timeout=10
            ehlo client.example.com
            mail alice@example.com
            rcpt bob@example.com
            open_data
            write_data Subject: Issue #42  "quoted"\tand 'single' <<EOF
            write_data X-Marker: ${MARKER}
            write_data
            write_data <p style="color: red">  two  spaces # not a comment</p>
            write_raw_data Raw: a\\tb
            write_raw_data  joined\\r\\n
            write_raw_data back\\\\slash \\x kept\\r\\n
            close_data
            mail alice@example.com
            rcpt bob@example.com
            data <<END
            Subject: here #2  "doc"\t${MARKER}-2

              # indented, 'quoted'
            END
            quit

            """)
        let result = try Repl.repl(["run", script, "--var", "PEER=\(peer)", "--var", "MARKER=\(marker)"])
        #expect(result.status == 0, "\(result.output)")
        let first = try #require(try Repl.receivedMessage(in: maildir, containing: "X-Marker: \(marker)"))
        let expected = "Subject: Issue #42  \"quoted\"\tand 'single' <<EOF\r\nX-Marker: \(marker)\r\n\r\n"
            + "<p style=\"color: red\">  two  spaces # not a comment</p>\r\nRaw: a\tb joined\r\nback\\slash \\x kept\r\n"
        #expect(String(decoding: first, as: UTF8.self) == expected)
        let second = try #require(try Repl.receivedMessage(in: maildir, containing: "\(marker)-2"))
        #expect(String(decoding: second, as: UTF8.self) == "Subject: here #2  \"doc\"\t\(marker)-2\r\n\r\n  # indented, 'quoted'\r\n")
        // The console shows the line the wire carries, not one line per raw write.
        #expect(result.output.contains(" -> Raw: a\tb joined\n"), "\(result.output)")
        #expect(result.output.contains(" -> Subject: Issue #42  \"quoted\"\tand 'single' <<EOF\n"), "\(result.output)")
    }

    @Test("auth USER PASSWORD SCHEMES in UTL_SMTP's order, with single quotes and UTL_SMTP.ALL_SCHEMES, against aiosmtpd over STARTTLS")
    func positionalAuth() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD_TLS"), let user = Repl.peer("SMTP_AIOSMTPD_USER"),
            let password = Repl.peer("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        for schemes in ["'LOGIN PLAIN'", "UTL_SMTP.ALL_SCHEMES", "all_schemes", "schemes='PLAIN'"] {
            let script = try Repl.temporaryFile("""
                open_connection ${PEER} tx_timeout=10
                ehlo client.example.com
                starttls secure_host=localhost
                ehlo client.example.com
                auth ${USER} ${PASSWORD} \(schemes) expect=235
                quit

                """)
            let result = try Repl.repl(["run", script, "--trust", Repl.path("certs/ca.pem"), "--var", "PEER=\(peer)",
                                        "--var", "USER=\(user)", "--var", "PASSWORD=\(password)"])
            #expect(result.status == 0, "\(schemes): \(result.output)")
            #expect(result.output.contains("235"), "\(result.output)")
        }
        // A wrong password given in the positional place: 535, and the password is nowhere in the output.
        let script = try Repl.temporaryFile("""
            open_connection ${PEER} tx_timeout=10
            ehlo client.example.com
            starttls secure_host=localhost
            ehlo client.example.com
            auth \(user) Wr0ng-Positional-77 'LOGIN'
            quit

            """)
        let result = try Repl.repl(["run", script, "--trust", Repl.path("certs/ca.pem"), "--var", "PEER=\(peer)"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("535"), "\(result.output)")
        #expect(!result.output.contains("Wr0ng-Positional-77") && result.output.contains("auth \(user) {secret} 'LOGIN'"), "\(result.output)")
    }

    @Test("PL/SQL's argument forms: name => value, comma-separated and single-quoted arguments follow the transcript")
    func plsqlArgumentForms() throws {
        let server = try Repl.serve("plain-submission.txt")
        defer { server.stop() }
        let script = try Repl.temporaryFile("""
            open_connection host => '127.0.0.1', port => ${PORT}, tx_timeout=>10
            ehlo 'client.example.com'
            mail 'alice@example.com'
            rcpt 'bob@example.com'
            data <<EOF
            From: alice@example.com
            To: bob@example.com
            Subject: plain

            A line.
            .A line that starts with a dot.
            EOF
            quit

            """)
        let result = try Repl.repl(["run", script, "--var", "PORT=\(server.port)"])
        #expect(result.status == 0, "\(result.output)")
        let outcome = try #require(server.waitForOutcome(timeout: 30))
        #expect(outcome.deviation == nil && outcome.error == nil, "\(outcome)")
        // A misspelt name in named notation is refused like name=value, before anything is sent.
        let misspelt = try Repl.temporaryFile("open_connection hots => '127.0.0.1', port => 25\n")
        let refused = try Repl.repl(["run", misspelt])
        #expect(refused.status == 2 && refused.output.contains("hots"), "\(refused.output)")
    }

    @Test("an unset ${NAME} anywhere (a command, write_data, a here-document) stops the script before it connects")
    func unsetVariableBeforeConnecting() throws {
        let server = try Repl.serve("plain-submission.txt")
        defer { server.stop() }
        for (line, number) in [("write_data X-Id: ${MISSING_ID}", 6), ("rcpt ${MISSING_ID}", 4), ("data <<EOF\nSubject: ${MISSING_ID}\nEOF", 6)] {
            let script = try Repl.temporaryFile("""
                open_connection 127.0.0.1 ${PORT}
                ehlo client.example.com
                mail alice@example.com
                \(number == 4 ? line : "rcpt bob@example.com")
                open_data
                \(number == 6 ? line : "write_data x")
                close_data
                quit

                """)
            let result = try Repl.repl(["run", script, "--var", "PORT=\(server.port)"])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.output.contains(":\(number): ") && result.output.contains("${MISSING_ID} is not set"), "\(result.output)")
            #expect(!result.output.contains("connecting to"), "nothing was sent: \(result.output)")
        }
    }

    @Test("no error shows a secret in any position: positional password and wallet password, quoted or unclosed")
    func secretsInAnyPosition() throws {
        for (line, secret) in [("auth alice Pos1tional-Secret 'LOGIN'", "Pos1tional-Secret"),
                               ("auth alice 'quoted secret 5' PLAIN", "quoted secret 5"),
                               ("auth alice \"unclosed secret 6", "unclosed secret 6"),
                               ("open_connection 127.0.0.1 1 5 file:/nonexistent/wallet WalletPw-Positional-8", "WalletPw-Positional-8")] {
            let path = try Repl.temporaryFile(line + "\n")
            let result = try Repl.repl(["run", path])
            #expect(result.status == 2, "\(line): \(result.output)")
            #expect(!result.output.contains(secret) && result.output.contains("{secret}"), "\(result.output)")
        }
    }
}
