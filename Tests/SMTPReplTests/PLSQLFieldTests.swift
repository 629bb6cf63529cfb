import Foundation
import SMTPConversation
import Testing

/// PL/SQL in the shapes UTL_SMTP code takes in the field, run by `smtp-repl run`; each message
/// must arrive at a real server (aiosmtpd writes DATA as received) byte for byte as Oracle
/// would send it.
@Suite("smtp-repl run: UTL_SMTP programs as found in the field")
struct PLSQLFieldTests {
    static func run(_ source: String, _ variables: [String: String], environment: [String: String] = [:]) throws -> Repl.Result {
        let file = try Repl.temporaryFile(source, suffix: ".sql")
        var arguments = ["run", file, "--trust", TestPaths.cert("ca.pem")]
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { arguments += ["--var", "\(name)=\(value)"] }
        return try Repl.run(Repl.binary, arguments, environment: environment)
    }

    static func split(_ peer: String) -> (String, String) {
        let colon = peer.lastIndex(of: ":")!
        return (String(peer[..<colon]), String(peer[peer.index(after: colon)...]))
    }

    @Test("function forms checked with IF … raise_application_error; an HTML body written in pieces, with and without UTL_TCP.CRLF")
    func functionFormsAndHTMLPieces() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD"), let maildir = Repl.peer("SMTP_AIOSMTPD_MAILDIR") else { return }
        let (host, port) = Self.split(peer)
        let marker = UUID().uuidString
        let result = try Self.run("""
            SET SERVEROUTPUT ON
            DECLARE
              l_conn    UTL_SMTP.connection;
              l_reply   UTL_SMTP.reply;
              l_replies UTL_SMTP.replies;
              k_crlf    CONSTANT VARCHAR2(2) := CHR(13) || CHR(10);
            BEGIN
              l_conn := UTL_SMTP.open_connection(host => '&HOST', port => &PORT, tx_timeout => 10);
              l_replies := UTL_SMTP.ehlo(l_conn, 'client.example.com');
              FOR i IN l_replies.FIRST .. l_replies.LAST LOOP
                DBMS_OUTPUT.put_line('ehlo: ' || l_replies(i).text);
              END LOOP;
              l_reply := UTL_SMTP.mail(l_conn, 'alice@example.com');
              IF l_reply.code != 250 THEN
                raise_application_error(-20000, 'utl_smtp.mail: ' || l_reply.code || ' - ' || l_reply.text);
              END IF;
              l_reply := UTL_SMTP.rcpt(l_conn, 'bob@example.com');
              IF l_reply.code NOT IN (250, 251) THEN
                raise_application_error(-20000, 'utl_smtp.rcpt: ' || l_reply.code || ' - ' || l_reply.text);
              END IF;
              l_reply := UTL_SMTP.open_data(l_conn);
              IF l_reply.code != 354 THEN
                raise_application_error(-20000, 'utl_smtp.open_data: ' || l_reply.code || ' - ' || l_reply.text);
              END IF;
              UTL_SMTP.write_data(l_conn, 'Subject: HTML #1 "report"' || UTL_TCP.crlf);
              UTL_SMTP.write_data(l_conn, 'X-Marker: &MARKER' || k_crlf);
              UTL_SMTP.write_data(l_conn, 'Content-Type: text/html; charset=us-ascii' || UTL_TCP.crlf || UTL_TCP.crlf);
              UTL_SMTP.write_data(l_conn, '<html>');
              UTL_SMTP.write_data(l_conn, '<body style="color: red">');
              UTL_SMTP.write_data(l_conn, '<p>one  two</p>' || UTL_TCP.crlf);
              UTL_SMTP.write_data(l_conn, '.leading dot' || UTL_TCP.crlf);
              UTL_SMTP.write_data(l_conn, '</body></html>');
              l_reply := UTL_SMTP.close_data(l_conn);
              IF l_reply.code != 250 THEN
                raise_application_error(-20000, 'utl_smtp.close_data: ' || l_reply.code || ' - ' || l_reply.text);
              END IF;
              l_reply := UTL_SMTP.quit(l_conn);
              DBMS_OUTPUT.put_line('quit: ' || l_reply.code);
            END;
            /
            """, ["HOST": host, "PORT": port, "MARKER": marker])
        #expect(result.status == 0, "\(result.output)")
        let message = try #require(try Repl.receivedMessage(in: maildir, containing: marker))
        #expect(String(decoding: message, as: UTF8.self) == """
            Subject: HTML #1 "report"\r
            X-Marker: \(marker)\r
            Content-Type: text/html; charset=us-ascii\r
            \r
            <html><body style="color: red"><p>one  two</p>\r
            .leading dot\r
            </body></html>\r

            """)
        #expect(result.output.contains("ehlo: 8BITMIME") && result.output.contains("quit: 221"), "\(result.output)")
        // The console shows the lines the wire carries: the pieces of the <html> line as one.
        #expect(result.output.contains(" -> <html><body style=\"color: red\"><p>one  two</p>\n"), "\(result.output)")
    }

    @Test("a procedure with parameters (procedure forms, an EXCEPTION handler that quits) created, then called from a block and through EXEC")
    func procedureCalledThroughExec() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD"), let maildir = Repl.peer("SMTP_AIOSMTPD_MAILDIR") else { return }
        let (host, port) = Self.split(peer)
        let marker = UUID().uuidString
        let result = try Self.run("""
            CREATE OR REPLACE PROCEDURE app.send_mail (
              p_to      IN VARCHAR2,
              p_subject IN VARCHAR2,
              p_body    IN VARCHAR2,
              p_from    IN VARCHAR2 DEFAULT 'noreply@example.com')
            AS
              l_conn UTL_SMTP.connection;
            BEGIN
              l_conn := UTL_SMTP.open_connection('&HOST', &PORT, 10);
              UTL_SMTP.helo(l_conn, 'client.example.com');
              UTL_SMTP.mail(l_conn, p_from);
              UTL_SMTP.rcpt(l_conn, p_to);
              UTL_SMTP.data(l_conn, 'From: ' || p_from || UTL_TCP.crlf || 'To: ' || p_to || UTL_TCP.crlf ||
                                    'Subject: ' || p_subject || UTL_TCP.crlf || UTL_TCP.crlf || p_body);
              UTL_SMTP.quit(l_conn);
            EXCEPTION
              WHEN UTL_SMTP.transient_error OR UTL_SMTP.permanent_error THEN
                UTL_SMTP.quit(l_conn);
                RAISE;
            END send_mail;
            /
            SHOW ERRORS
            BEGIN
              app.send_mail(p_to => 'bob@example.com', p_subject => 'from a block &MARKER', p_body => 'first');
            END;
            /
            EXEC send_mail('carol@example.com', 'through EXEC &MARKER', 'second' || CHR(13) || CHR(10) || 'line', 'ops@example.com');
            """, ["HOST": host, "PORT": port, "MARKER": marker])
        #expect(result.status == 0, "\(result.output)")
        let first = try #require(try Repl.receivedMessage(in: maildir, containing: "from a block \(marker)"))
        #expect(String(decoding: first, as: UTF8.self) == "From: noreply@example.com\r\nTo: bob@example.com\r\nSubject: from a block \(marker)\r\n\r\nfirst\r\n")
        let second = try #require(try Repl.receivedMessage(in: maildir, containing: "through EXEC \(marker)"))
        #expect(String(decoding: second, as: UTF8.self) == "From: ops@example.com\r\nTo: carol@example.com\r\nSubject: through EXEC \(marker)\r\n\r\nsecond\r\nline\r\n")
        #expect(result.output.contains("Procedure APP.SEND_MAIL created."), "\(result.output)")
    }

    @Test("the handler that quits: aiosmtpd requiring STARTTLS answers 530, the EXCEPTION handler sends QUIT and re-raises; exit 1 with Oracle's report")
    func handlerQuits() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD_TLS") else { return }
        let (host, port) = Self.split(peer)
        let result = try Self.run("""
            DECLARE
              c UTL_SMTP.connection;
            BEGIN
              c := UTL_SMTP.open_connection('&HOST', &PORT, 10);
              UTL_SMTP.ehlo(c, 'client.example.com');
              UTL_SMTP.mail(c, 'alice@example.com');
              UTL_SMTP.quit(c);
            EXCEPTION
              WHEN OTHERS THEN
                DBMS_OUTPUT.put_line('failed: ' || SQLERRM);
                UTL_SMTP.quit(c);
                RAISE;
            END;
            /
            """, ["HOST": host, "PORT": port])
        #expect(result.status == 1, "\(result.output)")
        let failed = try #require(result.output.range(of: "failed: ORA-29279: SMTP permanent error: 530"))
        let quit = try #require(result.output.range(of: " -> QUIT"))
        #expect(failed.upperBound < quit.lowerBound, "\(result.output)")
        #expect(result.output.contains("ORA-29279: SMTP permanent error: 530") && result.output.contains("ORA-06512: at line 12"), "\(result.output)")
    }

    @Test("a hand-written AUTH LOGIN with UTL_ENCODE.BASE64_ENCODE over STARTTLS; 8-bit text through WRITE_RAW_DATA; the credentials never shown")
    func handWrittenAuthLogin() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD_TLS"), let maildir = Repl.peer("SMTP_AIOSMTPD_TLS_MAILDIR"),
            let user = Repl.peer("SMTP_AIOSMTPD_USER"), let password = Repl.peer("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        let (_, port) = Self.split(peer)
        let marker = UUID().uuidString
        let result = try Self.run("""
            DECLARE
              l_conn  UTL_SMTP.connection;
              l_reply UTL_SMTP.reply;
              FUNCTION b64(p_text IN VARCHAR2) RETURN VARCHAR2 IS
              BEGIN
                RETURN UTL_RAW.cast_to_varchar2(UTL_ENCODE.base64_encode(UTL_RAW.cast_to_raw(p_text)));
              END;
            BEGIN
              l_conn := UTL_SMTP.open_connection(host => 'localhost', port => &PORT, tx_timeout => 10);
              UTL_SMTP.ehlo(l_conn, 'client.example.com');
              UTL_SMTP.starttls(l_conn);
              UTL_SMTP.ehlo(l_conn, 'client.example.com');
              l_reply := UTL_SMTP.command(l_conn, 'AUTH', 'LOGIN');
              IF l_reply.code != 334 THEN raise_application_error(-20000, 'AUTH LOGIN: ' || l_reply.code); END IF;
              l_reply := UTL_SMTP.command(l_conn, b64('&SMTP_USER'));
              l_reply := UTL_SMTP.command(l_conn, b64(:smtp_password));
              IF l_reply.code != 235 THEN
                raise_application_error(-20000, 'utl_smtp.auth: ' || l_reply.code || ' - ' || l_reply.text);
              END IF;
              UTL_SMTP.mail(l_conn, 'alice@example.com');
              UTL_SMTP.rcpt(l_conn, 'bob@example.com');
              UTL_SMTP.open_data(l_conn);
              UTL_SMTP.write_data(l_conn, 'Subject: =?UTF-8?B?' || b64('日本語') || '?=' || UTL_TCP.crlf);
              UTL_SMTP.write_data(l_conn, 'X-Marker: &MARKER' || UTL_TCP.crlf || UTL_TCP.crlf);
              UTL_SMTP.write_raw_data(l_conn, UTL_RAW.cast_to_raw('こんにちは' || UTL_TCP.crlf));
              UTL_SMTP.write_data(l_conn, 'café');
              UTL_SMTP.close_data(l_conn);
              UTL_SMTP.quit(l_conn);
            END;
            /
            """, ["PORT": port, "MARKER": marker, "SMTP_USER": user, "SMTP_PASSWORD": password])
        #expect(result.status == 0, "\(result.output)")
        let message = try #require(try Repl.receivedMessage(in: maildir, containing: marker))
        #expect(message == Array("Subject: =?UTF-8?B?\(Base64.encode("日本語"))?=\r\nX-Marker: \(marker)\r\n\r\nこんにちは\r\ncaf?\r\n".utf8),
                "\(String(decoding: message, as: UTF8.self))")
        for secret in [Base64.encode(password), password] { #expect(!result.output.contains(secret), "\(result.output)") }
    }

    @Test("open_connection's wallet_path, wallet_password, secure_connection_before_smtp and secure_host honoured: implicit TLS to aiosmtpd, the wallet's CA trusted, UTL_SMTP.auth with ALL_SCHEMES")
    func implicitTLSWithWallet() throws {
        guard let peer = Repl.peer("SMTP_AIOSMTPD_SMTPS"), let maildir = Repl.peer("SMTP_AIOSMTPD_SMTPS_MAILDIR"),
            let user = Repl.peer("SMTP_AIOSMTPD_USER"), let password = Repl.peer("SMTP_AIOSMTPD_PASSWORD")
        else { return }
        let (host, port) = Self.split(peer)
        let wallet = try PLSQLRunTests.wallet()
        let marker = UUID().uuidString
        let file = try Repl.temporaryFile("""
            DECLARE
              c UTL_SMTP.connection;
            BEGIN
              c := UTL_SMTP.open_connection(host => '&HOST', port => &PORT, tx_timeout => 10,
                     wallet_path => '\(wallet)', wallet_password => '&WALLET_PASSWORD',
                     secure_connection_before_smtp => TRUE, secure_host => 'localhost');
              UTL_SMTP.ehlo(c, 'client.example.com');
              UTL_SMTP.auth(c, '&SMTP_USER', '&SMTP_PASSWORD', UTL_SMTP.all_schemes);
              UTL_SMTP.mail(c, 'alice@example.com');
              UTL_SMTP.rcpt(c, 'bob@example.com');
              UTL_SMTP.data(c, 'Subject: implicit TLS &MARKER' || UTL_TCP.crlf || UTL_TCP.crlf || 'over port 465');
              UTL_SMTP.quit(c);
            END;
            /
            """, suffix: ".sql")
        // No --trust: only the wallet can make the server's certificate trusted.
        let result = try Repl.run(Repl.binary, ["run", file, "--var", "HOST=\(host)", "--var", "PORT=\(port)", "--var", "MARKER=\(marker)",
                                                "--var", "SMTP_USER=\(user)"],
                                  environment: ["WALLET_PASSWORD": PLSQLRunTests.walletPassword, "SMTP_PASSWORD": password])
        #expect(result.status == 0, "\(result.output)")
        let message = try #require(try Repl.receivedMessage(in: maildir, containing: marker))
        #expect(String(decoding: message, as: UTF8.self) == "Subject: implicit TLS \(marker)\r\n\r\nover port 465\r\n")
        #expect(result.output.contains("=== TLS started") && !result.output.contains(password) && !result.output.contains(PLSQLRunTests.walletPassword))
        // A wrong wallet password: ORA-28759, nothing sent, the password nowhere.
        let wrong = try Repl.run(Repl.binary, ["run", file, "--var", "HOST=\(host)", "--var", "PORT=\(port)", "--var", "MARKER=x", "--var", "SMTP_USER=\(user)"],
                                 environment: ["WALLET_PASSWORD": "Not-The-Wallet-Pw", "SMTP_PASSWORD": password])
        #expect(wrong.status == 1 && wrong.output.contains("ORA-28759: failure to open file"), "\(wrong.output)")
        #expect(!wrong.output.contains("Not-The-Wallet-Pw") && !wrong.output.contains("connecting to"), "\(wrong.output)")
    }
}
