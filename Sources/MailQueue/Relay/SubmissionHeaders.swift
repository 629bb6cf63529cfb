import Foundation
import MailMessage

/// SubmissionHeaders are the fields a message submission agent adds when the client left them
/// out (RFC 6409 §8.2 `Date:`, §8.3 `Message-ID:`), as Postfix and Exim do for submitted mail:
/// without them Office365 and other receivers score the message as spam or refuse it. Nothing a
/// client wrote is changed; a field it gave, in any case of its name, is kept as it is.
enum SubmissionHeaders {
    /// The fields missing from `content`'s header section, with their CRLFs (empty when none is
    /// missing): `Date:` now in UTC, `Message-ID: <mq.ID@sender's domain>` (the queue's own form).
    static func missing(in content: [UInt8], requestID: String, sender: String, date: Date) -> [UInt8] {
        let headers = RawMessage.headerSection(of: content)
        var added = ""
        if RawMessage.headerValue("Date", in: headers) == nil {
            added += "Date: " + RFC5322Date.format(date, offsetSeconds: 0) + "\r\n"
        }
        if RawMessage.headerValue("Message-ID", in: headers) == nil {
            added += "Message-ID: " + MessageBuilder.messageID(requestID: requestID, from: sender) + "\r\n"
        }
        return Array(added.utf8)
    }
}
