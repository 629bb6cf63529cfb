import Foundation
@testable import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// `send --log-format json`: one JSON object per line on stderr, with the request id and the
/// server's reply; no secret.
@Suite("mail-queue send --log-format json")
struct JSONLogTests {
    static let password = "JsonLogSecretPW"

    @Test("a refused recipient: an object per line with time, level, event, request_id, pattern, reply; the password nowhere")
    func failedRequestLogged() throws {
        let script = """
            \(HostileScripts.authPlain)
            235 2.7.0 ok
            > MAIL FROM:<alice@example.com>
            250 ok
            > RCPT TO:<bob@example.com>
            550 5.1.1 no such user
            > RSET
            250 ok
            > QUIT
            221 bye
            """
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: script), mode: .meaning, tlsCertificatePath: TestEnvironment.cert("server.pem"),
            tlsKeyPath: TestEnvironment.cert("server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let queue = try CLIQueue()
        let id = try queue.enqueue("json log", pattern: "orders")
        let result = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--security", "starttls",
                                    "--ca-file", TestEnvironment.cert("ca.pem"), "--user", "user@example.com",
                                    "--helo", "client.example.com", "--timeout", "5", "--pattern", "orders", "--log-format", "json"],
                                   environment: ["MAIL_QUEUE_SMTP_PASSWORD": Self.password])
        #expect(result.status == 1, "\(result.output)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        for object in objects {
            #expect(object["time"] is String && object["level"] is String && object["event"] is String, "\(object)")
        }
        let failed = try #require(objects.first { $0["event"] as? String == "request failed" }, "\(result.stderr)")
        #expect(failed["request_id"] as? String == id)
        #expect(failed["pattern"] as? String == "orders")
        #expect(failed["sender_pattern"] as? String == "orders", "the pattern the sender serves, under its own name")
        #expect(failed["level"] as? String == "error")
        #expect((failed["reply"] as? String)?.hasPrefix("550 5.1.1 no such user") == true, "\(failed)")
        for secret in [Self.password, Base64.encode(Self.password)] {
            #expect(!result.output.contains(secret), "\(secret) in:\n\(result.output)")
        }
    }

    @Test("a sender serving every pattern: each request's line names the request's own pattern (none for a request without one)")
    func requestsOwnPattern() throws {
        let refused = """
            > MAIL FROM:<alice@example.com>
            250 ok
            > RCPT TO:<bob@example.com>
            550 5.1.1 no such user
            > RSET
            250 ok
            """
        let script = """
            \(HostileScripts.startTLS)
            250 hostile.example
            \(refused)
            \(refused)
            \(refused)
            > QUIT
            221 bye
            """
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: script), mode: .meaning, tlsCertificatePath: TestEnvironment.cert("server.pem"),
            tlsKeyPath: TestEnvironment.cert("server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let queue = try CLIQueue()
        let orders = try queue.enqueue("orders", pattern: "orders")
        let invoices = try queue.enqueue("invoices", pattern: "invoices")
        let plain = try queue.enqueue("no pattern")
        let result = try queue.run(["send", "--once", "--smtp", "127.0.0.1:\(server.port)", "--security", "starttls",
                                    "--ca-file", TestEnvironment.cert("ca.pem"), "--helo", "client.example.com",
                                    "--timeout", "5", "--log-format", "json"])
        #expect(result.status == 1, "\(result.output)")
        let objects = result.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        var patterns: [String: String?] = [:]
        for object in objects where object["event"] as? String == "request failed" {
            if let id = object["request_id"] as? String { patterns[id] = object["pattern"] as? String }
            #expect(object["sender_pattern"] == nil, "the sender serves every pattern: \(object)")
        }
        #expect(patterns == [orders: "orders", invoices: "invoices", plain: nil], "\(result.stderr)")
    }

    @Test("the handler: RFC 3339 time with ms, control characters escaped, secret-named metadata redacted")
    func handlerLine() throws {
        let line = JSONLogHandler.line(time: Date(timeIntervalSince1970: 1_764_900_000.25), level: .warning, event: "a \"b\"\n\u{1b}[31m",
                                       metadata: ["id": "R1", "password": "hunter2", "smtp-token": "t0k", "error": "DATA: 451 4.3.0 later"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["time"] == "2025-12-05T02:00:00.250Z")
        #expect(object["event"] == "a \"b\"\n\u{1b}[31m" && !line.contains("\u{1b}"))
        #expect(object["request_id"] == "R1" && object["reply"] == "451 4.3.0 later")
        #expect(object["password"] == "[redacted]" && object["smtp-token"] == "[redacted]" && !line.contains("hunter2") && !line.contains("t0k"))
    }
}
