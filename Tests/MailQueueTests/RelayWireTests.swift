import Foundation
import MailQueue
import Testing

/// PIPELINING (RFC 2920) and SIZE (RFC 1870) on the relay's socket, with raw bytes from Python:
/// what a pipelining client writes in one go is answered reply by reply in order, and a message
/// over the limit is refused with 552 5.3.4 — before DATA when SIZE= says so, after the final
/// dot when it does not — with nothing stored.
@Suite("Relay on the wire: PIPELINING and SIZE", .serialized)
struct RelayWireTests {
    static let start = ["--no-send", "--allow-cleartext-auth-on-loopback", "--auth-failure-delay", "0"]
    static let login = ["--user", "alice@example.com", "--password", RelayProcess.alicePassword]

    @Test("MAIL, RCPT, a bad RCPT, RCPT and DATA in one write: five replies in order; the message then dot and QUIT in one write")
    func pipelining() throws {
        let relay = try RelayProcess()
        try relay.start(Self.start)
        defer { relay.stop() }
        let result = try relay.client("pipeline", Self.login)
        let keywords = result["keywords"] as? [String] ?? []
        #expect(keywords.contains("PIPELINING"), "\(keywords)")
        #expect(result["auth"] as? [String] == ["235 2.7.0 Authentication successful"], "\(result)")
        let envelope = result["envelope"] as? [String] ?? []
        #expect(envelope.count == 5, "\(result)")
        #expect(envelope.map { $0.prefix(3) } == ["250", "250", "501", "250", "354"], "\(envelope)")
        #expect(envelope.dropFirst(2).first?.contains("5.1.7") == true, "the bad RCPT's own reply, in its place: \(envelope)")
        let end = result["end"] as? [String] ?? []
        #expect(end.first?.hasPrefix("250 2.0.0 queued as ") == true && end.last?.hasPrefix("221") == true, "\(end)")
        // Stored once, with the two good recipients and the dot unstuffed.
        #expect(try relay.stored() == 1)
        let id = String(end.first?.split(separator: " ").last ?? "")
        let shown = try relay.queue.run(["show", id])
        #expect(shown.status == 0 && shown.stdout.contains("bob@example.com") && shown.stdout.contains("carol@example.com")
                && !shown.stdout.contains("xxxx"), "\(shown.output)")
        let raw = try relay.queue.run(["show", "--raw", id])
        #expect(raw.stdout.hasSuffix("Subject: pipelined\r\n\r\n.dot\r\nbody\r\n"), "\(raw.stdout)")
    }

    @Test("SIZE: advertised; MAIL SIZE= over the limit is 552 5.3.4 before DATA; no SIZE= but too large is 552 after the dot; nothing stored, the session goes on")
    func size() throws {
        let relay = try RelayProcess()
        try relay.start(Self.start + ["--max-message-size", "10000"])
        defer { relay.stop() }
        let result = try relay.client("size", Self.login + ["--size", "10000"])
        #expect((result["keywords"] as? [String] ?? []).contains("SIZE 10000"), "\(result)")
        #expect(result["over"] as? [String] == ["552 5.3.4 Message size exceeds fixed maximum message size (10000 octets)"], "\(result)")
        #expect(result["exact"] as? [String] == ["250 2.1.0 Sender OK", "250 2.0.0 OK"], "\(result)")
        #expect((result["undeclared"] as? [String] ?? []).map { $0.prefix(3) } == ["250", "250", "354"], "\(result)")
        #expect((result["bodySize"] as? Int ?? 0) > 10000)
        #expect(result["afterData"] as? [String] == ["552 5.3.4 Message size exceeds fixed maximum message size (10000 octets)"], "\(result)")
        #expect((result["end"] as? [String] ?? []).first == "250 2.0.0 OK", "\(result)")
        #expect(try relay.stored() == 0)
    }
}
