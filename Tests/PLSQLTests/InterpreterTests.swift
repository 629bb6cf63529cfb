import PLSQL
import SMTPConversation
import Testing

/// The interpreter on its own, without sockets: each construct UTL_SMTP programs use, with
/// Oracle's semantics.
@Suite("PL/SQL interpreter")
struct InterpreterTests {
    @Test("declarations, constants, IF/ELSIF/ELSE, CASE, FOR, WHILE, LOOP … EXIT WHEN, NULL, nested blocks; DBMS_OUTPUT in order")
    func controlFlow() throws {
        let host = FakeHost()
        let error = try run("""
            SET SERVEROUTPUT ON SIZE UNLIMITED
            DECLARE
              k_limit CONSTANT PLS_INTEGER := 3;
              l_total NUMBER := 0;
              l_text  VARCHAR2(100);
              l_flag  BOOLEAN := FALSE;
              i       INTEGER := 0;
            BEGIN
              FOR n IN 1 .. k_limit LOOP
                l_total := l_total + n;
              END LOOP;
              FOR n IN REVERSE 1 .. 2 LOOP
                DBMS_OUTPUT.put(n || ',');
              END LOOP;
              DBMS_OUTPUT.new_line;
              WHILE i < 10 LOOP
                i := i + 4;
              END LOOP;
              LOOP
                i := i - 1;
                EXIT WHEN i <= 5;
              END LOOP;
              IF l_total > 10 THEN l_text := 'big';
              ELSIF l_total = 6 THEN l_text := 'six';
              ELSE l_text := 'small';
              END IF;
              CASE l_text WHEN 'six' THEN l_flag := TRUE; ELSE NULL; END CASE;
              DBMS_OUTPUT.put_line('total=' || l_total || ' text=' || l_text || ' i=' || i
                || ' flag=' || CASE WHEN l_flag THEN 'yes' ELSE 'no' END);
              BEGIN
                DBMS_OUTPUT.put_line('inner ' || 7/2 || ' ' || MOD(7, 3) || ' ' || -0.5);
              END;
              IF l_text IN ('a', 'six') AND l_text IS NOT NULL AND NOT (l_total BETWEEN 7 AND 9) AND l_text LIKE 's_x%' THEN
                DBMS_OUTPUT.put_line('conditions hold');
              END IF;
            END;
            /
            """, host)
        #expect(error == nil)
        #expect(host.output == ["2,1,", "total=6 text=six i=5 flag=yes", "inner 3.5 1 -.5", "conditions hold"])
    }

    @Test("string and conversion built-ins; q'[…]' literals; TO_CHAR with date and number masks; CHR; NVL")
    func builtins() throws {
        let host = FakeHost()
        try run("""
            BEGIN
              DBMS_OUTPUT.put_line(UPPER('abc') || LOWER('DEF') || SUBSTR('hello', 2, 3) || INSTR('a.b.c', '.', 1, 2) || LENGTH('four'));
              DBMS_OUTPUT.put_line('[' || TRIM('  x  ') || ']' || REPLACE('a-b-c', '-', '+') || NVL(NULL, 'dflt') || NVL2('x', 'set', 'unset'));
              DBMS_OUTPUT.put_line(q'[It's "quoted"]' || ' ' || 'it''s');
              DBMS_OUTPUT.put_line(TO_CHAR(SYSDATE, 'Dy, DD Mon YYYY HH24:MI:SS') || ' ' || TO_CHAR(SYSTIMESTAMP, 'TZHTZM'));
              DBMS_OUTPUT.put_line(TO_CHAR(SYSDATE, 'YYYYMMDD"T"HH24MISS') || ' ' || TO_CHAR(42, 'FM0000') || ' ' || TO_CHAR(3.14159, 'FM990.00'));
              DBMS_OUTPUT.put_line(LENGTH(CHR(13) || CHR(10)) || LENGTH(UTL_TCP.crlf) || LPAD('7', 3, '0') || RPAD('a', 3, '.'));
              DBMS_OUTPUT.put_line(UTL_RAW.cast_to_varchar2(UTL_ENCODE.base64_encode(UTL_RAW.cast_to_raw('sender@example.com'))));
              DBMS_OUTPUT.put_line(CASE WHEN '' IS NULL THEN 'empty is null' END);
            END;
            /
            """, host)
        #expect(host.output == [
            "ABCdefell44", "[x]a+b+cdfltset", "It's \"quoted\" it's", "Sun, 14 Apr 2019 15:52:53 +0900",
            "20190414T155253 0042 3.14", "22007a..", Base64.encode("sender@example.com"), "empty is null",
        ])
    }

    @Test("ORA-06502 on a VARCHAR2 too long: caught by VALUE_ERROR, and unhandled with its line")
    func varchar2TooLong() throws {
        let host = FakeHost()
        try run("""
            DECLARE
              l_short VARCHAR2(5);
            BEGIN
              BEGIN
                l_short := 'too long';
              EXCEPTION
                WHEN VALUE_ERROR THEN DBMS_OUTPUT.put_line('caught ' || SQLCODE || ' ' || SQLERRM);
              END;
              l_short := 'ok';
              DBMS_OUTPUT.put_line(l_short);
            END;
            /
            """, host)
        #expect(host.output == ["caught -6502 ORA-06502: PL/SQL: numeric or value error: character string buffer too small", "ok"])
        let error = try #require(try run("""
            DECLARE
              l_short VARCHAR2(3);
            BEGIN
              l_short := 'abc';
              l_short := l_short || 'd';
            END;
            /
            """, FakeHost()))
        #expect(error.report == ["ORA-06502: PL/SQL: numeric or value error: character string buffer too small", "ORA-06512: at line 5"])
    }

    @Test("NO_DATA_FOUND from a missing element, OTHERS, nested blocks re-raising; SQLERRM after the handler is back to normal")
    func handlers() throws {
        let host = FakeHost()
        let error = try run("""
            DECLARE
              TYPE t_list IS TABLE OF VARCHAR2(100) INDEX BY PLS_INTEGER;
              l_list t_list;
              l_value VARCHAR2(100);
              e_custom EXCEPTION;
              PRAGMA EXCEPTION_INIT(e_custom, -20042);
            BEGIN
              l_list(1) := 'one';
              BEGIN
                l_value := l_list(2);
              EXCEPTION
                WHEN NO_DATA_FOUND THEN DBMS_OUTPUT.put_line('ndf ' || SQLCODE || ' ' || SQLERRM);
              END;
              BEGIN
                BEGIN
                  raise_application_error(-20042, 'inner failure');
                EXCEPTION
                  WHEN OTHERS THEN
                    DBMS_OUTPUT.put_line('inner ' || SQLERRM);
                    RAISE;
                END;
              EXCEPTION
                WHEN e_custom THEN DBMS_OUTPUT.put_line('outer ' || SQLCODE);
              END;
              DBMS_OUTPUT.put_line('after ' || SQLCODE || ' count=' || l_list.COUNT || ' first=' || l_list.FIRST || ' exists=' ||
                CASE WHEN l_list.EXISTS(2) THEN 'y' ELSE 'n' END);
              RAISE e_custom;
            END;
            /
            """, host)
        #expect(host.output == ["ndf 100 ORA-01403: no data found", "inner ORA-20042: inner failure", "outer -20042", "after 0 count=1 first=1 exists=n"])
        #expect(error?.report == ["ORA-20042: ", "ORA-06512: at line 27"])
    }

    @Test("CREATE OR REPLACE PROCEDURE (schema-qualified, IN/OUT/IN OUT, defaults) called from a block and through EXEC; functions; frames")
    func routines() throws {
        let host = FakeHost()
        let error = try run("""
            CREATE OR REPLACE PROCEDURE scott.greet(p_name IN VARCHAR2, p_greeting IN VARCHAR2 DEFAULT 'Hello', p_out OUT VARCHAR2, p_count IN OUT NUMBER) AS
            BEGIN
              p_out := p_greeting || ', ' || p_name;
              p_count := p_count + 1;
            END greet;
            /
            CREATE OR REPLACE FUNCTION shout(p_text VARCHAR2) RETURN VARCHAR2 IS
            BEGIN
              IF p_text IS NULL THEN
                raise_application_error(-20001, 'shout: nothing to shout');
              END IF;
              RETURN UPPER(p_text) || '!';
            END;
            /
            DECLARE
              l_out VARCHAR2(50);
              l_count NUMBER := 1;
            BEGIN
              scott.greet('Ada', p_out => l_out, p_count => l_count);
              DBMS_OUTPUT.put_line(l_out || ' ' || l_count || ' ' || shout('hi'));
              greet(p_name => 'Bob', p_greeting => 'Hi', p_out => l_out, p_count => l_count);
              DBMS_OUTPUT.put_line(l_out || ' ' || l_count);
            END;
            /
            EXEC DBMS_OUTPUT.put_line(shout('exec'))
            EXEC DBMS_OUTPUT.put_line(shout(NULL));
            """, host)
        #expect(host.output == ["Hello, Ada 2 HI!", "Hi, Bob 3", "EXEC!"])
        #expect(error?.report == ["ORA-20001: shout: nothing to shout", "ORA-06512: at \"SHOUT\", line 10", "ORA-06512: at line 26"])
    }

    @Test("CREATE PACKAGE and PACKAGE BODY: constants, private functions, an initialisation section; members called from a block and EXEC; frames name the package")
    func packages() throws {
        let host = FakeHost()
        let error = try run("""
            CREATE OR REPLACE PACKAGE app.mail_pkg AS
              k_from CONSTANT VARCHAR2(50) := 'noreply@example.com';
              g_sent PLS_INTEGER := 0;
              PROCEDURE send(p_to IN VARCHAR2);
              FUNCTION sent_count RETURN PLS_INTEGER;
            END mail_pkg;
            /
            CREATE OR REPLACE PACKAGE BODY app.mail_pkg AS
              FUNCTION header(p_name VARCHAR2, p_value VARCHAR2) RETURN VARCHAR2 IS
              BEGIN
                RETURN p_name || ': ' || p_value;
              END;
              PROCEDURE send(p_to IN VARCHAR2) IS
              BEGIN
                IF p_to IS NULL THEN
                  raise_application_error(-20010, 'mail_pkg.send: no recipient');
                END IF;
                g_sent := g_sent + 1;
                DBMS_OUTPUT.put_line(header('From', k_from) || ' / ' || header('To', p_to));
              END send;
              FUNCTION sent_count RETURN PLS_INTEGER IS
              BEGIN
                RETURN g_sent;
              END;
            BEGIN
              DBMS_OUTPUT.put_line('mail_pkg ready');
            END mail_pkg;
            /
            BEGIN
              app.mail_pkg.send('bob@example.com');
              mail_pkg.send('carol@example.com');
              DBMS_OUTPUT.put_line(mail_pkg.sent_count || ' sent from ' || mail_pkg.k_from);
            END;
            /
            EXEC mail_pkg.send(NULL)
            """, host)
        #expect(host.output == ["mail_pkg ready", "From: noreply@example.com / To: bob@example.com",
                                "From: noreply@example.com / To: carol@example.com", "2 sent from noreply@example.com"])
        #expect(error?.report == ["ORA-20010: mail_pkg.send: no recipient", "ORA-06512: at \"APP.MAIL_PKG\", line 16", "ORA-06512: at line 35"])
    }

    @Test("out-of-scope constructs are refused with their line: SQL in a block, cursors, GOTO, dynamic SQL, an unknown package")
    func refused() throws {
        for (source, line, words) in [
            ("DECLARE\n  n NUMBER;\nBEGIN\n  SELECT COUNT(*) INTO n FROM dual;\nEND;\n/", 4, "--var"),
            ("DECLARE\n  CURSOR c IS SELECT 1 FROM dual;\nBEGIN\n  NULL;\nEND;\n/", 2, "cursors"),
            ("BEGIN\n  NULL;\n  GOTO done;\nEND;\n/", 3, "GOTO"),
            ("BEGIN\n  EXECUTE IMMEDIATE 'DROP TABLE t';\nEND;\n/", 2, "dynamic SQL"),
            ("BEGIN\n  NULL\nEND;\n/", 3, "expected ;"),
        ] {
            #expect {
                try SQLPlusScript(source, defines: [:])
            } throws: { error in
                guard let error = error as? PLSQLSyntaxError else { return false }
                return error.line == line && error.message.contains(words)
            }
        }
        // A top-level SQL statement is skipped with its line; an unknown package member fails when reached.
        let host = FakeHost()
        let error = try run("SELECT * FROM dual;\nBEGIN\n  DBMS_PIPE.send_message('x');\nEND;\n/\n", host)
        #expect(host.events.first == "note: 1: SQL statement skipped (SELECT * FROM dual;): smtp-repl runs PL/SQL blocks, there is no database")
        #expect(error?.report.first?.contains("PLS-00201: identifier 'DBMS_PIPE.SEND_MESSAGE' must be declared") == true, "\(String(describing: error?.report))")
    }

    @Test("&NAME substitution from --var and DEFINE; :NAME binds; an unset &NAME is an error naming the line")
    func substitution() throws {
        let host = FakeHost()
        try run("""
            DEFINE greeting = 'Hello'
            BEGIN
              DBMS_OUTPUT.put_line('&greeting, &&who.!' || ' ' || :bound);
            END;
            /
            """, host, defines: ["WHO": "world"], binds: ["BOUND": "b"])
        #expect(host.output == ["Hello, world! b"])
        #expect {
            try SQLPlusScript("BEGIN\n  NULL;\n  DBMS_OUTPUT.put_line('&missing');\nEND;\n/", defines: [:])
        } throws: { ($0 as? PLSQLSyntaxError)?.line == 3 }
        // SET DEFINE OFF: & is text (an HTML entity).
        let text = FakeHost()
        try run("SET DEFINE OFF\nBEGIN DBMS_OUTPUT.put_line('a&nbsp;b'); END;\n/\n", text)
        #expect(text.output == ["a&nbsp;b"])
    }

    @Test("UTL_SMTP: the function form returns the reply; the procedure form raises ORA-29278/29279 with Oracle's SQLERRM; replies; WRITE_DATA's US7ASCII")
    func utlSMTP() throws {
        let host = FakeHost(replies: [
            Reply(220, "mx ESMTP"), Reply(code: 250, lines: ["mx", "AUTH LOGIN PLAIN", "STARTTLS"]), Reply(250, "2.1.0 Sender OK"),
            Reply(550, "5.1.1 User unknown"), Reply(451, "4.3.0 Try later"), Reply(354, "go ahead"), Reply(250, "2.0.0 queued"), Reply(221, "bye"),
        ])
        let error = try run("""
            DECLARE
              l_conn    UTL_SMTP.connection;
              l_reply   UTL_SMTP.reply;
              l_replies UTL_SMTP.replies;
            BEGIN
              l_conn := UTL_SMTP.open_connection(host => 'mx.example.com', port => '2525', tx_timeout => 10);
              l_replies := UTL_SMTP.ehlo(l_conn, 'client.example.com');
              FOR i IN 1 .. l_replies.COUNT LOOP
                DBMS_OUTPUT.put_line(l_replies(i).code || ' ' || l_replies(i).text);
              END LOOP;
              l_reply := UTL_SMTP.mail(l_conn, 'a@example.com');
              IF l_reply.code != 250 THEN raise_application_error(-20000, 'mail: ' || l_reply.text); END IF;
              BEGIN
                UTL_SMTP.rcpt(l_conn, 'nobody@example.com');
              EXCEPTION
                WHEN UTL_SMTP.permanent_error THEN DBMS_OUTPUT.put_line(SQLCODE || ' ' || SQLERRM);
              END;
              BEGIN
                UTL_SMTP.rcpt(l_conn, 'later@example.com');
              EXCEPTION
                WHEN UTL_SMTP.transient_error OR UTL_SMTP.permanent_error THEN DBMS_OUTPUT.put_line(SQLERRM);
              END;
              UTL_SMTP.open_data(l_conn);
              UTL_SMTP.write_data(l_conn, 'Subject: caf' || UNISTR_FREE || UTL_TCP.crlf);
            END;
            /
            """, host)
        // An unknown identifier (UNISTR_FREE) is reported as Oracle's compiler would, with the line.
        #expect(error?.report.first?.contains("PLS-00201: identifier 'UNISTR_FREE' must be declared") == true)
        #expect(host.output == ["250 mx", "250 AUTH LOGIN PLAIN", "250 STARTTLS", "-29279 ORA-29279: SMTP permanent error: 550 5.1.1 User unknown",
                                "ORA-29278: SMTP transient error: 451 4.3.0 Try later"])
        #expect(host.opened.first?.port == 2525 && host.opened.first?.txTimeout == 10)

        let ascii = FakeHost()
        try run("""
            DECLARE
              c UTL_SMTP.connection;
            BEGIN
              c := UTL_SMTP.open_connection('mx.example.com');
              UTL_SMTP.write_data(c, 'Subject: café' || UTL_TCP.crlf);
              UTL_SMTP.write_raw_data(c, UTL_RAW.cast_to_raw('café' || UTL_TCP.crlf));
            END;
            /
            """, ascii)
        #expect(ascii.written == Array("Subject: caf?\r\ncafé\r\n".utf8))
    }

    @Test("an unopened connection is INVALID_OPERATION (ORA-29277); WRITE_TEXT is refused as Oracle's compiler would")
    func invalidOperation() throws {
        let error = try run("DECLARE\n  c UTL_SMTP.connection;\nBEGIN\n  UTL_SMTP.helo(c, 'x');\nEND;\n/\n", FakeHost())
        #expect(error?.report == ["ORA-29277: invalid SMTP operation", "ORA-06512: at line 4"])
        let text = try run("DECLARE\n  c UTL_SMTP.connection;\nBEGIN\n  c := UTL_SMTP.open_connection('h');\n  UTL_SMTP.write_text(c, 'x');\nEND;\n/\n", FakeHost())
        #expect(text?.report.first?.contains("PLS-00302: component 'WRITE_TEXT'") == true)
    }

    @Test("content detection: PL/SQL and SQL*Plus files, not REPL scripts")
    func detection() {
        #expect(SQLPlusScript.looksLikePLSQL("-- mail\nSET SERVEROUTPUT ON\nDECLARE\n"))
        #expect(SQLPlusScript.looksLikePLSQL("create or replace procedure send_mail as begin null; end;\n/"))
        #expect(SQLPlusScript.looksLikePLSQL("\n\nBEGIN\n  NULL;\nEND;\n/"))
        #expect(!SQLPlusScript.looksLikePLSQL("# a REPL script\nopen_connection localhost 25\nehlo x\n"))
        #expect(!SQLPlusScript.looksLikePLSQL("open_connection localhost 25\n"))
    }
}
