import Foundation
import MailQueue
import Testing

/// `--bounce`: a relayed message the upstream refuses for good gets a delivery status
/// notification (RFC 3464) back to its envelope sender, through the same upstream, read here
/// with Python's email package.
@Suite("Bounces (delivery status notifications)", .serialized)
struct BounceTests {
    /// What parse_dsn.py (Python's email package) reads in `content`.
    func parsed(_ content: [UInt8]) throws -> [String: Any] {
        let file = try temporaryDirectory() + "/dsn.eml"
        try Data(content).write(to: URL(fileURLWithPath: file))
        let script = TestEnvironment.root.appendingPathComponent("Tests/MailQueueTests/parse_dsn.py").path
        let result = try runProcess("python3", [script, file])
        #expect(result.status == 0, "\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static let original = Array("""
        Received: from client.test ([127.0.0.1])\r
        \tby relay.test (mail-queue relay) with ESMTPA id mq.1;\r
        \tSat, 05 Dec 2026 03:00:00 +0000\r
        From: Alice <alice@example.com>\r
        To: nobody@refused.example.test\r
        Subject: the original\r
        Message-ID: <original-1@example.com>\r
        \r
        the body, never quoted\r

        """.utf8)

    @Test("the report parses as multipart/report with the delivery-status fields, the upstream's reply and the original headers")
    func reportShape() throws {
        let request = try RawMessage(sender: "alice@example.com", recipients: ["nobody@refused.example.test", "bob@example.com"],
                                     content: Self.original, patternID: "up").stored(id: "mq.1")
        let refused = "nobody@refused.example.test: 550 5.1.1 <nobody@refused.example.test>: Recipient address rejected: User unknown"
        let failed = DeliveryReport.recipients(of: request, error: refused, refused: refused, onlyRefused: true)
        #expect(failed.map(\.address) == ["nobody@refused.example.test"])
        let builder = DeliveryReport(reportingMTA: "relay.test", remoteMTA: "smtp.office365.com", fromMailbox: "relay@example.com")
        let report = try #require(builder.report(for: request, failed: failed, arrival: Date(timeIntervalSince1970: 1_796_000_000),
                                                 now: Date(timeIntervalSince1970: 1_796_000_060)))
        #expect(report.sender == "" && report.recipients == ["alice@example.com"] && report.patternID == "up")
        let dsn = try parsed(report.content)
        #expect(dsn["content_type"] as? String == "multipart/report" && dsn["report_type"] as? String == "delivery-status")
        #expect(dsn["part_types"] as? [String] == ["text/plain", "message/delivery-status", "text/rfc822-headers"], "\(dsn)")
        #expect(dsn["to"] as? String == "alice@example.com" && (dsn["from"] as? String)?.contains("relay@example.com") == true)
        #expect(dsn["auto_submitted"] as? String == "auto-replied")
        #expect((dsn["defects"] as? [String])?.isEmpty == true, "\(dsn)")
        let perMessage = dsn["per_message"] as? [String: String] ?? [:]
        #expect(perMessage["Reporting-MTA"] == "dns; relay.test" && perMessage["Arrival-Date"] != nil, "\(perMessage)")
        let recipients = dsn["recipients"] as? [[String: String]] ?? []
        #expect(recipients.count == 1, "\(recipients)")
        #expect(recipients.first?["Final-Recipient"] == "rfc822; nobody@refused.example.test")
        #expect(recipients.first?["Action"] == "failed" && recipients.first?["Status"] == "5.1.1")
        #expect(recipients.first?["Remote-MTA"] == "dns; smtp.office365.com")
        #expect(recipients.first?["Diagnostic-Code"]
                == "smtp; 550 5.1.1 <nobody@refused.example.test>: Recipient address rejected: User unknown", "\(recipients)")
        let headers = dsn["headers"] as? String ?? ""
        #expect(headers.contains("Subject: the original") && headers.contains("Message-ID: <original-1@example.com>")
                && headers.contains("Received: from client.test"), "\(headers)")
        #expect(!headers.contains("never quoted"), "the body is not quoted")
    }

    @Test("no report for a message from the null sender (a bounce) or without raw content; a reply's CR/LF cannot add a field")
    func noReportAndHostileReply() throws {
        let builder = DeliveryReport(reportingMTA: "relay.test", remoteMTA: "upstream.test")
        let failed = [DeliveryReport.Recipient(address: "bob@example.com", reply: "550 5.7.1 no", reason: "")]
        let bounce = try RawMessage(sender: "", recipients: ["bob@example.com"], content: Self.original).stored()
        #expect(builder.report(for: bounce, failed: failed, arrival: Date(), now: Date()) == nil)
        let request = try RawMessage(sender: "alice@example.com", recipients: ["bob@example.com"], content: Self.original).stored()
        #expect(builder.report(for: request, failed: [], arrival: Date(), now: Date()) == nil)
        // A reply that tries to end the field and add its own.
        let hostile = [DeliveryReport.Recipient(address: "bob@example.com", reply: "550 5.7.1 no\r\nAction: delivered\r\nX-Evil: 1",
                                                reason: "")]
        let report = try #require(builder.report(for: request, failed: hostile, arrival: Date(), now: Date()))
        let dsn = try parsed(report.content)
        let recipient = (dsn["recipients"] as? [[String: String]])?.first ?? [:]
        #expect(recipient["Action"] == "failed" && recipient["X-Evil"] == nil, "\(recipient)")
        #expect(recipient["Diagnostic-Code"] == "smtp; 550 5.7.1 no  Action: delivered  X-Evil: 1")
        #expect(report.content.split(separator: 10).allSatisfy { $0.count <= 998 })
    }

    @Test("the reply and status are read from what the sender recorded")
    func recordedReplies() {
        #expect(RecordedReply.reply(in: "RCPT TO: 550 5.1.1 <x@y>: unknown") == "550 5.1.1 <x@y>: unknown")
        #expect(RecordedReply.reply(in: "gave up after 8 attempts: final dot: 451 4.3.0 try later") == "451 4.3.0 try later")
        #expect(RecordedReply.reply(in: "MAIL FROM: 550 5.7.60 SMTP; Client does not have permissions")
                == "550 5.7.60 SMTP; Client does not have permissions")
        #expect(RecordedReply.reply(in: "message: the content has 8-bit octets and the server does not offer 8BITMIME") == nil)
        #expect(DeliveryReport.Recipient(address: "a", reply: "550 5.7.60 x", reason: "").status == "5.7.60")
        #expect(DeliveryReport.Recipient(address: "a", reply: "554 transaction failed", reason: "").status == "5.0.0")
        #expect(DeliveryReport.Recipient(address: "a", reply: "451 4.3.0 later", reason: "").status == "4.3.0")
        #expect(DeliveryReport.Recipient(address: "a", reply: nil, reason: "message: cannot be built").status == "5.0.0")
        #expect(DeliveryReport.Recipient(address: "a", reply: nil, reason: "gave up after 8 attempts: connect: refused").status == "4.4.7")
    }

    @Test("given up after the upstream could not be reached: a report with status 4.4.7 and no Diagnostic-Code; it fails too and is not reported")
    func givenUpUnreachable() throws {
        let relay = try RelayProcess()  // the wallet with `up`, and a queue
        let store = QueueStore(database: try SQLiteQueueDatabase(path: relay.queue.path))
        let id = try store.enqueue(RawMessage(sender: "alice@example.com", recipients: ["bob@example.com"],
                                              content: Array("Subject: unreachable\r\n\r\nbody\r\n".utf8), patternID: "up"))
        // A port nothing listens on: bound, then closed.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")),
                                  sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        close(listener)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try relay.queue.run(["send", "--once", "--smtp", "127.0.0.1:\(port)", "--security", "starttls",
                                          "--ca-file", TestEnvironment.cert("ca.pem"), "--wallet", relay.wallet, "--credential-alias", "up",
                                          "--helo", "relay.test", "--max-attempts", "1", "--bounce"])
        #expect(result.status == 1, "\(result.output)")
        #expect(try store.details(id).status == .failed)
        let rows = try runProcess("sqlite3", [relay.queue.path, "SELECT id FROM mail_request WHERE id <> '\(id)'"])
        let reportID = rows.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!reportID.isEmpty && !reportID.contains("\n"), "exactly one report: \(rows.output)")
        // A second pass tries the report: it fails the same way, and is not reported in turn.
        let again = try relay.queue.run(["send", "--once", "--smtp", "127.0.0.1:\(port)", "--security", "starttls",
                                         "--ca-file", TestEnvironment.cert("ca.pem"), "--wallet", relay.wallet, "--credential-alias", "up",
                                         "--helo", "relay.test", "--max-attempts", "1", "--bounce"])
        #expect(again.status == 1, "\(again.output)")
        #expect(try relay.queue.total() == 2)
        let report = try store.details(reportID)
        #expect(report.status == .failed && report.request.from == "" && report.request.recipients.map(\.address) == ["alice@example.com"])
        let dsn = try parsed(try #require(report.request.raw))
        let recipient = (dsn["recipients"] as? [[String: String]])?.first ?? [:]
        #expect(recipient["Final-Recipient"] == "rfc822; bob@example.com" && recipient["Action"] == "failed"
                && recipient["Status"] == "4.4.7" && recipient["Diagnostic-Code"] == nil, "\(recipient)")
        #expect((dsn["text"] as? String)?.contains("gave up after 1 attempts: connect:") == true, "\(dsn["text"] ?? "")")
    }

    @Test("end to end: refused upstream, the report arrives at the sender from <> through the same upstream; a report that fails is not reported; show explains the failure")
    func endToEnd() throws {
        let relay = try RelayProcess()
        let peer = try LocalPeer.aiosmtpd(mode: "starttls", maildir: relay.queue.directory + "/upstream")
        defer { peer.stop() }
        try relay.start(["--allow-cleartext-auth-on-loopback", "--auth-failure-delay", "0", "--smtp", "127.0.0.1:\(peer.port)",
                         "--security", "starttls", "--ca-file", TestEnvironment.cert("ca.pem"), "--credential-alias", "up",
                         "--helo", "relay.test", "--idle-poll-seconds", "0.2", "--bounce"])
        defer { relay.stop() }
        func submit(_ user: String, _ password: String, from: String, to: [String], subject: String) throws -> String {
            let file = relay.queue.directory + "/\(subject).eml"
            try Data("From: \(from)\r\nSubject: \(subject)\r\nMessage-ID: <\(subject)@example.com>\r\n\r\nbody\r\n".utf8)
                .write(to: URL(fileURLWithPath: file))
            let reply = try relay.client("submit", ["--user", user, "--password", password, "--from", from, "--file", file]
                                         + to.flatMap { ["--to", $0] })
            #expect(reply["code"] as? Int == 250, "\(reply)")
            return (reply["text"] as? String ?? "").split(separator: " ").last.map(String.init) ?? ""
        }
        // Every recipient refused: failed, one report.
        let refused = try submit("alice@example.com", RelayProcess.alicePassword, from: "alice@example.com",
                                 to: ["nobody@refused.example.test"], subject: "all-refused")
        // One of two refused: sent to bob, a report for the other.
        _ = try submit("alice@example.com", RelayProcess.alicePassword, from: "alice@example.com",
                       to: ["bob@example.com", "carol@refused.example.test"], subject: "one-refused")
        // The sender itself refused upstream: its report fails too, and is not reported in turn.
        _ = try submit("printer", RelayProcess.printerPassword, from: "refused-printer@example.com",
                       to: ["nobody@refused.example.test"], subject: "sender-refused")
        // Settled: the three, three reports, nothing waiting (bounded by the poll's timeout).
        let settled = try eventually(timeout: 60) {
            let counts = try relay.queue.counts()
            let total = try relay.queue.total()
            return counts["unsent", default: 0] + counts["sending", default: 0] == 0 && total == 6
        }
        let counts = try relay.queue.counts()
        #expect(settled && counts["sent"] == 3 && counts["failed"] == 3, "\(counts); \(relay.log)")

        let messages = peer.messages()
        // aiosmtpd records the null reverse path as "<>".
        let reports = messages.filter { ["", "<>"].contains($0.envelope["mail_from"] as? String) }
        #expect(reports.count == 2, "two reports arrive (the third one's recipient is refused): \(messages.map(\.envelope))")
        #expect(messages.count == 3, "bob's copy and two reports")
        for report in reports {
            #expect(report.envelope["rcpt_tos"] as? [String] == ["alice@example.com"], "\(report.envelope)")
            #expect(report.envelope["login"] as? String == "alice", "through the same upstream credential")
            let dsn = try parsed(report.content)
            #expect(dsn["content_type"] as? String == "multipart/report" && dsn["report_type"] as? String == "delivery-status")
            let recipients = dsn["recipients"] as? [[String: String]] ?? []
            #expect(recipients.count == 1 && recipients.first?["Action"] == "failed" && recipients.first?["Status"] == "5.1.1", "\(dsn)")
            let diagnostic = recipients.first?["Diagnostic-Code"] ?? ""
            #expect(diagnostic.hasPrefix("smtp; 550 5.1.1 <") && diagnostic.contains("refused.example.test>: Recipient address rejected"),
                    "\(diagnostic)")
            #expect((dsn["per_message"] as? [String: String])?["Reporting-MTA"] == "dns; relay.test")
        }
        let finals = reports.compactMap { try? parsed($0.content) }.compactMap { ($0["recipients"] as? [[String: String]])?.first?["Final-Recipient"] }
        #expect(Set(finals) == ["rfc822; nobody@refused.example.test", "rfc822; carol@refused.example.test"], "\(finals)")
        let quoted = reports.compactMap { try? parsed($0.content) }.compactMap { $0["headers"] as? String }
        #expect(quoted.contains { $0.contains("Subject: all-refused") } && quoted.contains { $0.contains("Subject: one-refused") })

        // The failure is visible with the upstream's reply and its explanation.
        let show = try relay.queue.run(["show", refused])
        #expect(show.stdout.contains("failed") && show.stdout.contains("550 5.1.1 <nobody@refused.example.test>"), "\(show.output)")
        #expect(show.stdout.contains("explained:"), "\(show.output)")
        let status = try relay.queue.run(["status"])
        #expect(status.stdout.contains(refused) && status.stdout.contains("explained:"), "\(status.output)")
    }
}
