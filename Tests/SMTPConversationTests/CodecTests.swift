import SMTPConversation
import Testing

@Suite("Commands, capabilities and DATA framing")
struct CodecTests {
    static let commands: [(Command, String)] = [
        (.helo("client.example.com"), "HELO client.example.com\r\n"),
        (.ehlo("client.example.com"), "EHLO client.example.com\r\n"),
        (.startTLS, "STARTTLS\r\n"),
        (.mail(from: "alice@example.com", parameters: []), "MAIL FROM:<alice@example.com>\r\n"),
        (.mail(from: "<alice@example.com>", parameters: ["SIZE=1000", "BODY=8BITMIME"]),
         "MAIL FROM:<alice@example.com> SIZE=1000 BODY=8BITMIME\r\n"),
        (.mail(from: "", parameters: []), "MAIL FROM:<>\r\n"),
        (.rcpt(to: "bob@example.com", parameters: ["NOTIFY=FAILURE"]), "RCPT TO:<bob@example.com> NOTIFY=FAILURE\r\n"),
        (.data, "DATA\r\n"), (.rset, "RSET\r\n"), (.noop, "NOOP\r\n"), (.quit, "QUIT\r\n"),
        (.vrfy("postmaster"), "VRFY postmaster\r\n"), (.help(nil), "HELP\r\n"), (.help("MAIL"), "HELP MAIL\r\n"),
        (.auth(mechanism: "LOGIN", initialResponse: nil), "AUTH LOGIN\r\n"),
        (.auth(mechanism: "PLAIN", initialResponse: "AGEAYg=="), "AUTH PLAIN AGEAYg==\r\n"),
        (.raw("XCLIENT NAME=x"), "XCLIENT NAME=x\r\n"),
        (.mail(from: " \t<alice@example.com>\t ", parameters: []), "MAIL FROM:<alice@example.com>\r\n"),
        (.mail(from: "<>", parameters: []), "MAIL FROM:<>\r\n"),
        (.rcpt(to: "<用户@例子.中国>", parameters: []), "RCPT TO:<用户@例子.中国>\r\n"),
        (.rcpt(to: "x", parameters: []), "RCPT TO:<x>\r\n"),
    ]

    static let notMailboxes: [Command] = [
        .rcpt(to: "<>", parameters: []), .rcpt(to: "  ", parameters: []), .mail(from: "<a@example.com", parameters: []),
        .mail(from: "a@example.com>", parameters: []), .rcpt(to: "a b@example.com", parameters: []),
        .rcpt(to: "<<a@example.com>>", parameters: []), .mail(from: "a@example.com", parameters: ["SIZE= 1"]),
        .mail(from: "a@example.com", parameters: [""]),
    ]

    @Test("paths that are no mailbox, and bad parameters, are refused", arguments: notMailboxes)
    func notMailbox(_ command: Command) {
        #expect(throws: SMTPError.self) { try command.wireBytes() }
    }

    @Test("commands to bytes", arguments: commands)
    func wireForm(_ command: Command, _ wire: String) throws {
        #expect(try command.wireBytes() == Array(wire.utf8))
    }

    static let injections: [Command] = [
        .mail(from: "a@example.com>\r\nRCPT TO:<victim@example.com", parameters: []),
        .rcpt(to: "b@example.com\nDATA", parameters: []),
        .ehlo("client\r\nMAIL FROM:<x>"),
        .helo("nul\u{0}byte"),
        .vrfy("x\ry"),
        .rcpt(to: "b@example.com", parameters: ["NOTIFY=NEVER\r\nRSET"]),
        .raw("NOOP\r\nQUIT"),
        .authResponse("c2VjcmV0\r\nRSET"),
    ]

    @Test("CR, LF and NUL in any argument are refused", arguments: injections)
    func injectionRefused(_ command: Command) {
        #expect {
            _ = try command.wireBytes()
        } throws: { error in
            guard let error = error as? SMTPError, error.code == .invalidArgument, let reason = error.message else { return false }
            return reason.contains("CR") || reason.contains("LF") || reason.contains("NUL")
        }
    }

    @Test("a refused secret is not quoted in the error")
    func secretNotQuoted() {
        do {
            _ = try Command.authResponse("hunter2\nx").wireBytes()
            Issue.record("no error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("the Office365 EHLO reply")
    func office365Capabilities() throws {
        var parser = ReplyParser()
        parser.append(Array(("250-OSAPR01CA0250.outlook.office365.com Hello [180.52.91.76]\r\n250-SIZE 157286400\r\n"
            + "250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH LOGIN XOAUTH2\r\n250-8BITMIME\r\n"
            + "250-BINARYMIME\r\n250-CHUNKING\r\n250-X-EXPERIMENT on\r\n250 SMTPUTF8\r\n").utf8))
        let capabilities = Capabilities(ehloReply: try #require(try parser.nextReply()))
        #expect(capabilities.greeting == "OSAPR01CA0250.outlook.office365.com Hello [180.52.91.76]")
        #expect(capabilities.size == 157_286_400)
        #expect(capabilities.pipelining && capabilities.dsn && capabilities.enhancedStatusCodes)
        #expect(capabilities.eightBitMIME && capabilities.binaryMIME && capabilities.chunking && capabilities.smtpUTF8)
        #expect(!capabilities.startTLS)
        #expect(capabilities.authMechanisms == ["LOGIN", "XOAUTH2"])
        #expect(capabilities.unknownKeywords == ["X-EXPERIMENT"])
        #expect(capabilities.parameters(of: "x-experiment") == ["on"])
    }

    @Test("the old AUTH= form and SIZE without a limit")
    func oldAuthForm() {
        let capabilities = Capabilities(ehloReply: Reply(code: 250, lines: ["mx", "AUTH=LOGIN PLAIN", "AUTH PLAIN CRAM-MD5", "SIZE", "STARTTLS"]))
        #expect(capabilities.authMechanisms == ["LOGIN", "PLAIN", "CRAM-MD5"])
        #expect(capabilities.size == 0)
        #expect(capabilities.startTLS)
        #expect(capabilities.unknownKeywords.isEmpty)
    }

    static let framing: [(String, String)] = [
        ("hello\r\n", "hello\r\n.\r\n"),
        ("hello", "hello\r\n.\r\n"),
        ("", ".\r\n"),
        ("a\nb\n", "a\r\nb\r\n.\r\n"),
        (".\r\n", "..\r\n.\r\n"),
        ("x\r\n.hidden\r\n..two\r\n", "x\r\n..hidden\r\n...two\r\n.\r\n"),
        ("line\n.\nafter", "line\r\n..\r\nafter\r\n.\r\n"),
    ]

    @Test("DATA framing: dot-stuffing, bare LF, the final dot", arguments: framing)
    func frames(_ body: String, _ wire: String) throws {
        var stuffer = DotStuffer()
        let bytes = try stuffer.encode(Array(body.utf8)) + stuffer.finish()
        #expect(String(decoding: bytes, as: UTF8.self) == wire)
    }

    @Test("DATA framing is the same whatever the chunk boundaries")
    func chunked() throws {
        let body = Array("first\r\n.second\r\n\r\n.\r\nlast\n..x".utf8)
        var whole = DotStuffer()
        let expected = try whole.encode(body) + whole.finish()
        for size in 1...7 {
            var stuffer = DotStuffer()
            var output: [UInt8] = []
            var index = 0
            while index < body.count {
                output += try stuffer.encode(body[index..<min(index + size, body.count)])
                index += size
            }
            output += try stuffer.finish()
            #expect(output == expected, "chunk size \(size)")
        }
    }

    @Test("a bare CR is refused (SMTP smuggling), and the refused chunk changes nothing",
          arguments: ["a\rb", "hello\r", "x\r\r\n", "\r.\r\n"])
    func bareCR(_ body: String) throws {
        var stuffer = DotStuffer()
        _ = try stuffer.encode(Array("before\r\n".utf8))
        var refused = false
        do {
            _ = try stuffer.encode(Array(body.utf8))
            _ = try stuffer.finish()
        } catch {
            refused = true
            #expect(error.description.contains("bare CR"))
        }
        #expect(refused)
    }

    @Test("host:port: names, IPv4, bracketed IPv6, no port; what is refused and why")
    func hostPort() throws {
        let good: [(String, String, Int?)] = [("mail.example.com:587", "mail.example.com", 587), ("127.0.0.1:25", "127.0.0.1", 25),
                                              ("[::1]:2525", "::1", 2525), ("[::1]", "::1", nil), ("smtp", "smtp", nil), ("smtp:", "smtp", nil)]
        for (text, host, port) in good {
            let parsed = try HostPort(parsing: text)
            let parsedPort = try parsed.port()
            #expect(parsed.host == host && parsedPort == port, "\(text)")
        }
        for (text, reason) in [("::1:25", "an IPv6 address goes in brackets"), ("[::1:25", "the closing ] of the IPv6 address is missing"),
                               ("[::1]25", "expected host:port")] {
            #expect(throws: SMTPError.self) { try HostPort(parsing: text) }
            do { _ = try HostPort(parsing: text) } catch { #expect(HostPort.reason(error).contains(reason), "\(text): \(error)") }
        }
        #expect(throws: SMTPError.self) { try HostPort(parsing: "h:0").port() }
        let zero = try HostPort(parsing: "h:0").port(in: 0...65535)
        #expect(zero == 0)
        #expect(throws: SMTPError.self) { try HostPort(parsing: "h:x").port() }
    }
}
