import Foundation
import MailMessage
import Testing

/// The Date header's offset comes from the C library's view of the local time zone, which
/// must agree with Foundation's; a Message-ID given at creation is the one written.
@Suite("Date offset and given Message-ID")
struct DateAndIDTests {
    @Test("localOffset agrees with TimeZone.current for winter, summer, old and far dates")
    func offsets() {
        let dates = [0, 1_704_067_200, 1_719_792_000, 2_208_988_800, 946_684_799].map { Date(timeIntervalSince1970: TimeInterval($0)) }
        for date in dates {
            #expect(RFC5322Date.localOffset(at: date) == TimeZone.current.secondsFromGMT(for: date), "\(date)")
        }
    }

    @Test("a Message-ID given at creation is kept and written; none given: a new one in the author's domain")
    func givenMessageID() throws {
        let given = try MailMessage(from: "alice@example.com", to: ["bob@example.com"], subject: "s", text: "t\n",
                                    messageID: "<mq.abc123@example.com>")
        #expect(given.messageID == "<mq.abc123@example.com>")
        let text = String(decoding: try given.encoded(), as: UTF8.self)
        #expect(text.contains("\r\nMessage-ID: <mq.abc123@example.com>\r\n"), "\(text)")
        let fresh = try MailMessage(from: "alice@example.com", to: ["bob@example.com"], subject: "s", text: "t\n")
        #expect(fresh.messageID.hasSuffix("@example.com>") && fresh.messageID != given.messageID)
    }
}
