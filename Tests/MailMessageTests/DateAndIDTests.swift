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

    @Test("format agrees with Foundation's formatter (English names, fixed offsets) across centuries and offsets")
    func formatAgreesWithFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let seconds: [Int] = [0, 59, 951_782_400, 1_704_067_199, 1_709_164_800, 4_102_444_799, -86_401, 2_147_483_647]
        for second in seconds {
            for offset in [0, 32_400, -18_000, 19_800, 20_700, -34_200, 50_400] {
                let date = Date(timeIntervalSince1970: TimeInterval(second))
                formatter.timeZone = TimeZone(secondsFromGMT: offset)
                #expect(RFC5322Date.format(date, offsetSeconds: offset) == formatter.string(from: date), "\(second) \(offset)")
            }
        }
    }
}
