import Foundation
import SMTPConversation
import Testing

/// Every refusal quoted in `fixtures/replies/vendor-replies.txt` (the vendors' own texts) is
/// explained by the right catalogue entry, with its cause, in the context the case gives.
@Suite struct ReplyExplanationTests {
    struct Case: Sendable, CustomStringConvertible {
        let line: Int
        let id: String
        let context: ReplyContext
        let reply: Reply
        var causes: [String] = []
        var fixes: [String] = []
        var notInFix: [String] = []
        var description: String { "vendor-replies.txt:\(line) \(id) \(reply.singleLine.prefix(60))" }
    }

    static let path = TestPaths.root.appendingPathComponent("fixtures/replies/vendor-replies.txt").path

    static func cases() throws -> [Case] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [Case] = []
        var header: (line: Int, id: String, context: ReplyContext)?
        var wire = ""
        var checks: [(String, String)] = []
        func finish() throws {
            guard let current = header else { return }
            var parser = ReplyParser()
            parser.append(Array(wire.utf8))
            guard let reply = try parser.nextReply() else { throw SMTPError(.malformedReply("vendor-replies.txt:\(current.line): no reply")) }
            var item = Case(line: current.line, id: current.id, context: current.context, reply: reply)
            for (key, value) in checks {
                switch key {
                case "cause": item.causes.append(value)
                case "fix": item.fixes.append(value)
                default: item.notInFix.append(value)
                }
            }
            result.append(item)
            header = nil
            wire = ""
            checks = []
        }
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            if line.hasPrefix("#") { continue }
            if line.isEmpty {
                try finish()
            } else if line.hasPrefix("@ ") {
                let words = line.dropFirst(2).split(separator: " ").map(String.init)
                header = (index + 1, words[0], Self.context(words.count > 1 ? words[1] : "-"))
            } else if let colon = line.firstIndex(of: ":"), ["cause", "fix", "fix!"].contains(String(line[..<colon])) {
                checks.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            } else {
                wire += line + "\r\n"
            }
        }
        try finish()
        return result
    }

    static func context(_ text: String) -> ReplyContext {
        var context = ReplyContext()
        for item in text.split(separator: ",") {
            switch item {
            case "plain": context.inTLS = false
            case "tls": context.inTLS = true
            case "authenticated": context.authenticated = true
            default:
                if item.hasPrefix("after=") { context.command = String(item.dropFirst(6)) }
                if item.hasPrefix("auth=") { context.mechanism = String(item.dropFirst(5)) }
                if item.hasPrefix("host=") { context.host = String(item.dropFirst(5)) }
            }
        }
        return context
    }

    @Test("each vendor text explained with its cause", arguments: try cases())
    func explained(_ item: Case) throws {
        let explanation = try #require(item.reply.explanation(context: item.context), "\(item)")
        #expect(explanation.id == item.id, "\(item)")
        for phrase in item.causes { #expect(explanation.cause.lowercased().contains(phrase.lowercased()), "\(item): \(explanation.cause)") }
        for phrase in item.fixes { #expect((explanation.fix ?? "").lowercased().contains(phrase.lowercased()), "\(item): \(explanation.fix ?? "")") }
        for phrase in item.notInFix { #expect(!(explanation.fix ?? "").lowercased().contains(phrase.lowercased()), "\(item): \(explanation.fix ?? "")") }
    }

    @Test func everyEntryThatReadsTextHasAVendorCase() throws {
        let covered = Set(try Self.cases().map(\.id))
        let codeOnly: Set = ["office365.5.7.139", "office365.5.1.10", "office365.5.4.1", "office365.4.7.500"]
        for id in ReplyCatalogue.ids where !codeOnly.contains(id) { #expect(covered.contains(id), "no vendor text for \(id)") }
    }

    @Test func oneCodeWithTwoTextsIsExplainedTwoWays() {
        let tls = ReplyContext(inTLS: true, authenticated: true, command: "DATA")
        let quota = Reply(554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.")
        let sendAs = Reply(554, "5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.")
        let a = quota.explanation(context: tls), b = sendAs.explanation(context: tls)
        #expect(a?.id == "office365.5.2.0.quota" && b?.id == "office365.5.2.0.send-as")
        #expect(a?.cause != b?.cause)
        // Without the catalogue this would be RFC 3463's "other or undefined mailbox status".
        let sendAsCause = b?.cause ?? ""
        #expect(!sendAsCause.contains("undefined"), "\(sendAsCause)")
        let busy = Reply(432, "4.3.2 Concurrent connections limit exceeded.").explanation(context: tls)
        let away = Reply(421, "4.3.2 Service not active").explanation(context: tls)
        #expect(busy?.id == "office365.4.3.2.concurrent" && away?.id == "office365.4.3.2.not-active")
        #expect(busy?.cause != away?.cause)
    }

    @Test func gmailAuthenticationRequiredAfterSTARTTLSIsNotToldToStartTLS() throws {
        let reply = Reply(code: 530, lines: ["5.7.0 Authentication Required. For more information, go to",
                                             "5.7.0  https://support.google.com/mail/?p=WantAuthError d2-20020a05620a0c2200b0077f0a4d4578sm4373288qki.108 - gsmtp"])
        let inTLS = try #require(reply.explanation(context: ReplyContext(inTLS: true, authenticated: false, command: "MAIL")))
        #expect(!inTLS.description.lowercased().contains("starttls"), "\(inTLS)")
        #expect(inTLS.fix?.contains("auth") == true)
        let plain = try #require(reply.explanation(context: ReplyContext(inTLS: false, command: "MAIL")))
        #expect(plain.fix?.contains("starttls") == true)
    }

    @Test func theGenericMeaningIsTheFallback() throws {
        let other = try #require(Reply(550, "5.7.1 Delivery not authorized").explanation())
        #expect(other.vendor == "RFC 3463")
        #expect(Reply(250, "2.0.0 OK").explanation() == nil)
        // No enhanced code and no known text: the basic code's meaning (RFC 5321, RFC 4954 for AUTH's codes).
        let basic = try #require(Reply(550, "no status code, no known text").explanation())
        #expect(basic.id == "rfc5321.550" && basic.vendor == "RFC 5321", "\(basic)")
        let auth = try #require(Reply(535, "x").explanation())
        #expect(auth.vendor == "RFC 4954" && auth.id == "rfc4954.535", "\(auth)")
        #expect(Reply(599, "no such code").explanation() == nil)
        // RFC 3463's X.3.2 and X.6.0 (Office365's 4.3.2, the relay's own 5.6.0) have their meaning too.
        #expect(try #require(Reply(421, "4.3.2 x").explanation()).id == "rfc3463.3.2")
        #expect(try #require(Reply(554, "5.6.0 x").explanation()).id == "rfc3463.6.0")
        // The generic 5.7.0 no longer suggests STARTTLS (a client in TLS was told to start it).
        let generic = try #require(Reply(530, "5.7.0 Something else").explanation(context: ReplyContext(inTLS: true)))
        #expect(!generic.cause.lowercased().contains("starttls"))
    }

    @Test func theTrackerKnowsTLSAuthAndTheCommand() {
        var tracker = ReplyContextTracker()
        tracker.observe(.sent("EHLO client.example.com"))
        #expect(tracker.context.inTLS == false && tracker.context.command == "EHLO")
        tracker.observe(.tlsEstablished(version: "TLSv1.3", cipher: "x", peer: []))
        tracker.observe(.sent("AUTH XOAUTH2 {secret}"))
        tracker.observe(.sent("{secret}"))
        #expect(tracker.context.inTLS == true && tracker.context.command == "AUTH" && tracker.context.mechanism == "XOAUTH2")
        tracker.observe(.received(Reply(235, "2.7.0 ok")))
        tracker.observe(.sent("MAIL FROM:<a@example.com>"))
        #expect(tracker.context.authenticated == true && tracker.context.command == "MAIL")
    }
}
