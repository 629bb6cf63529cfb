import Foundation
import MailQueue
import Testing

/// RFC 6409 §8.2/§8.3: the relay, as a submission agent, adds `Date:` and `Message-ID:` to a
/// message that lacks them, and changes nothing else.
@Suite("Relay adds Date and Message-ID", .serialized)
struct RelaySubmissionHeaderTests {
    func submit(_ relay: RelayProcess, _ content: String) throws -> (id: String, raw: [UInt8]) {
        let file = relay.queue.directory + "/\(UUID().uuidString).eml"
        try Data(content.utf8).write(to: URL(fileURLWithPath: file))
        let sent = try relay.client("submit", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                                               "--from", "alice@example.com", "--to", "bob@example.com", "--file", file])
        let text = sent["text"] as? String ?? ""
        #expect(sent["code"] as? Int == 250, "\(sent)")
        let id = String(text.split(separator: " ").last ?? "")
        let out = relay.queue.directory + "/\(id).raw"
        let shown = try runProcess("/bin/sh", ["-c", "exec \"$0\" show --raw \"$1\" --database \"$2\" > \"$3\"",
                                               TestEnvironment.binary, id, relay.queue.database, out])
        #expect(shown.status == 0, "\(shown.output)")
        return (id, Array(try Data(contentsOf: URL(fileURLWithPath: out))))
    }

    /// The stored message split after the Received: field (its lines start with a tab).
    func afterReceived(_ raw: [UInt8]) -> String {
        let lines = String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n")
        var index = 1
        while index < lines.count && lines[index].hasPrefix("\t") { index += 1 }
        #expect(lines.first?.hasPrefix("Received: ") == true)
        return lines[index...].joined(separator: "\r\n")
    }

    @Test("no Date: and no Message-ID: -> both added after Received:, the client's bytes follow unchanged")
    func added() throws {
        let relay = try RelayProcess()
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback"])
        defer { relay.stop() }
        let content = "From: alice@example.com\r\nSubject: bare\r\n\r\nDate: not a header, in the body\r\n"
        let (id, raw) = try submit(relay, content)
        let rest = afterReceived(raw)
        let lines = rest.components(separatedBy: "\r\n")
        #expect(lines.count > 2 && lines[0].hasPrefix("Date: ") && lines[1] == "Message-ID: <mq.\(id)@example.com>", "\(rest)")
        // Date: is RFC 5322 and close to now: parsed back with the C library.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
        let parsed = formatter.date(from: String(lines[0].dropFirst("Date: ".count)))
        #expect(parsed.map { abs($0.timeIntervalSinceNow) < 120 } == true, "\(lines[0])")
        #expect(lines[2...].joined(separator: "\r\n") == content, "the client's bytes after the added fields, unchanged")
        let shown = try relay.queue.run(["show", id])
        #expect(shown.stdout.contains("message-id:  <mq.\(id)@example.com>"), "\(shown.output)")
    }

    @Test("Date: and Message-ID: given (in any case) -> nothing added; only one of them -> only the other added")
    func kept() throws {
        let relay = try RelayProcess()
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback"])
        defer { relay.stop() }
        let both = "date: Mon, 1 Dec 2025 10:00:00 +0900\r\nMessage-Id: <given@example.com>\r\nSubject: both\r\n\r\nbody\r\n"
        #expect(afterReceived(try submit(relay, both).raw) == both)
        let dateOnly = "Date: Mon, 1 Dec 2025 10:00:00 +0900\r\nSubject: date only\r\n\r\nbody\r\n"
        let (id, raw) = try submit(relay, dateOnly)
        #expect(afterReceived(raw) == "Message-ID: <mq.\(id)@example.com>\r\n" + dateOnly)
        let idOnly = "Message-ID:\r\n <folded@example.com>\r\nSubject: id only\r\n\r\nbody\r\n"
        let rest = afterReceived(try submit(relay, idOnly).raw)
        #expect(rest.hasPrefix("Date: ") && rest.hasSuffix("\r\n" + idOnly) && rest.components(separatedBy: "\r\n").count == idOnly.components(separatedBy: "\r\n").count + 1,
                "\(rest)")
    }
}
