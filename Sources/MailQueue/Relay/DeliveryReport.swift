import Foundation
import MailMessage

/// DeliveryReport builds the delivery status notification (RFC 3464) the relay sends back to a
/// message's envelope sender when the upstream refused it for good (`--bounce`): a
/// `multipart/report; report-type=delivery-status` (RFC 6522) of a text part for people, a
/// `message/delivery-status` part (Reporting-MTA, Arrival-Date, then per recipient
/// Final-Recipient, Action: failed, Status, Remote-MTA, Diagnostic-Code with the upstream's
/// reply), and the original message's header section (`text/rfc822-headers`).
///
/// The report goes out with the null reverse path (`MAIL FROM:<>`, RFC 5321 §4.5.5), so a report
/// that fails is never reported in turn; and no report is made for a message that itself came
/// with the null reverse path (a bounce, or an auto-reply). Pure: the date and ids are given.
public struct DeliveryReport: Sendable {
    /// One recipient the message did not reach.
    public struct Recipient: Sendable, Equatable {
        /// The envelope recipient.
        public var address: String
        /// The upstream's reply to it (`550 5.1.1 …`), or nil when no reply explains it (the
        /// message could not be sent as it is).
        public var reply: String?
        /// Why, in words, when there is no reply.
        public var reason: String

        /// Creates a failed recipient.
        public init(address: String, reply: String?, reason: String) {
            self.address = address
            self.reply = reply
            self.reason = reason
        }

        /// The RFC 3463 status: the reply's enhanced code, else its class with 0.0 (`5.0.0`);
        /// with no reply, 4.4.7 (delivery time expired) when the sender gave up retrying (the
        /// server could not be reached), else 5.0.0.
        public var status: String {
            guard let reply else { return reason.hasPrefix("gave up after ") ? "4.4.7" : "5.0.0" }
            let words = reply.split(separator: " ", maxSplits: 2)
            if words.count > 1, DeliveryReport.isEnhancedCode(words[1]) { return String(words[1]) }
            if let first = reply.first, first == "4" || first == "5" { return "\(first).0.0" }
            return "5.0.0"
        }
    }

    /// The name of this relay (Reporting-MTA, and the From: domain when no mailbox is given).
    public var reportingMTA: String
    /// The upstream server's host name (Remote-MTA).
    public var remoteMTA: String
    /// The From: of the report: the upstream mailbox the relay sends as (Office365 refuses any
    /// other From:), else `MAILER-DAEMON@reportingMTA`.
    public var fromMailbox: String?

    /// The most of the original header section a report quotes.
    public static let maxQuotedHeaderOctets = 64 * 1024

    /// Creates a report builder.
    public init(reportingMTA: String, remoteMTA: String, fromMailbox: String? = nil) {
        self.reportingMTA = Self.clean(reportingMTA, limit: 255)
        self.remoteMTA = Self.clean(remoteMTA, limit: 255)
        self.fromMailbox = fromMailbox.flatMap { $0.contains("@") ? Self.clean($0, limit: 254) : nil }
    }

    /// The report for `original` (a relayed raw message) whose `failed` recipients were
    /// refused, to go back to its envelope sender; nil when there must be none (null reverse
    /// path, no raw content, no recipient).
    /// - Parameters:
    ///   - arrival: when the relay accepted the message.
    ///   - now: the report's date.
    ///   - boundary: the MIME boundary (random in use, fixed in tests).
    public func report(for original: StoredRequest, failed: [Recipient], arrival: Date, now: Date,
                       boundary: String = "=_dsn_" + MessageID.randomBase36(24)) -> RawMessage? {
        guard !original.from.isEmpty, let content = original.raw, !failed.isEmpty else { return nil }
        let from = fromMailbox.map { "Mail Delivery System <\($0)>" } ?? "Mail Delivery System <MAILER-DAEMON@\(reportingMTA)>"
        let subject = failed.allSatisfy({ $0.status.hasPrefix("4") }) ? "Delivery Status Notification (Delay, given up)"
            : "Undelivered Mail Returned to Sender"
        var text = ""
        func line(_ value: String) { text += value + "\r\n" }
        line("From: \(from)")
        line("To: <\(original.from)>")
        line("Subject: \(subject)")
        line("Date: \(RFC5322Date.format(now, offsetSeconds: 0))")
        line("Message-ID: <\(MessageID.make(domain: reportingMTA))>")
        line("Auto-Submitted: auto-replied")
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/report; report-type=delivery-status;")
        line("\tboundary=\"\(boundary)\"")
        line("")
        line("This is a MIME-encapsulated message (a delivery status notification, RFC 3464).")
        line("")
        line("--\(boundary)")
        line("Content-Type: text/plain; charset=utf-8")
        line("Content-Transfer-Encoding: 8bit")
        line("")
        line("This is the mail relay at \(reportingMTA).")
        line("")
        line("Your message could not be delivered to the recipients below: the server \(remoteMTA)")
        line("refused it for good. Its headers are attached.")
        line("")
        for recipient in failed {
            line("<\(Self.clean(recipient.address, limit: 254))>: " + Self.clean(recipient.reply ?? recipient.reason, limit: 900))
        }
        line("")
        line("--\(boundary)")
        line("Content-Type: message/delivery-status")
        line("")
        line("Reporting-MTA: dns; \(reportingMTA)")
        line("Arrival-Date: \(RFC5322Date.format(arrival, offsetSeconds: 0))")
        for recipient in failed {
            line("")
            let address = Self.clean(recipient.address, limit: 254)
            line("Final-Recipient: \(address.utf8.contains { $0 >= 0x80 } ? "utf-8" : "rfc822"); \(address)")
            line("Action: failed")
            line("Status: \(recipient.status)")
            if let reply = recipient.reply {
                line("Remote-MTA: dns; \(remoteMTA)")
                line("Diagnostic-Code: smtp; \(Self.clean(reply, limit: 900))")
            }
        }
        line("")
        line("--\(boundary)")
        line("Content-Type: text/rfc822-headers")
        line("")
        var bytes = Array(text.utf8)
        bytes += Self.quotedHeaders(content)
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        return RawMessage(sender: "", recipients: [original.from], content: bytes, patternID: original.patternID)
    }

    /// The failed recipients of a request from what the sender recorded: each refused
    /// recipient with its own reply (`refused`: `ADDRESS: REPLY` lines), the others with the
    /// reply in `error` (`STEP: CODE …`, read by `RecordedReply`), or with `error` as the reason
    /// when it holds no reply;
    /// with `onlyRefused` (a message sent to the others), only the refused ones.
    public static func recipients(of request: StoredRequest, error: String, refused: String?, onlyRefused: Bool = false)
        -> [Recipient]
    {
        var byAddress: [String: String] = [:]
        for entry in (refused ?? "").split(separator: "\n") {
            guard let split = entry.range(of: ": ") else { continue }
            byAddress[String(entry[..<split.lowerBound])] = String(entry[split.upperBound...])
        }
        let common = RecordedReply.reply(in: error)
        return request.recipients.compactMap { recipient in
            if onlyRefused && byAddress[recipient.address] == nil { return nil }
            if let own = byAddress[recipient.address] { return Recipient(address: recipient.address, reply: own, reason: own) }
            return Recipient(address: recipient.address, reply: common, reason: error)
        }
    }

    /// True for an RFC 3463 enhanced code: class 2, 4 or 5, then two numbers (1–3 digits each).
    static func isEnhancedCode(_ word: Substring) -> Bool {
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, ["2", "4", "5"].contains(parts[0]) else { return false }
        return parts.dropFirst().allSatisfy { (1...3).contains($0.count) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    /// `text` on one line: control characters (a CR or LF a peer put in a reply) as spaces, at
    /// most `limit` characters.
    static func clean(_ text: String, limit: Int) -> String {
        String(String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) }).prefix(limit))
    }

    /// The original header section, CRLF-ended, at most `maxQuotedHeaderOctets` (cut at a line
    /// end). It cannot end the report's part early: the boundary is random.
    static func quotedHeaders(_ content: [UInt8]) -> [UInt8] {
        var headers = Array(RawMessage.headerSection(of: content))
        while headers.last == 10 || headers.last == 13 { headers.removeLast() }
        if headers.count > maxQuotedHeaderOctets {
            headers = Array(headers.prefix(maxQuotedHeaderOctets))
            if let end = headers.lastIndex(of: 10) { headers = Array(headers[...end]) }
            while headers.last == 10 || headers.last == 13 { headers.removeLast() }
        }
        return headers + [13, 10]
    }
}
