import Foundation
import MailMessage

/// ReceivedHeader is the trace field (RFC 5321 §4.4) the relay puts on top of each message it
/// accepts. It names the recipient only when there is one, so a blind-copied address never
/// shows in a message others receive.
public enum ReceivedHeader {
    /// The field with its CRLF, folded: `Received: from HELO ([ADDRESS])` `by HOST with
    /// ESMTPSA id ID` `for <RCPT>;` `DATE`. The protocol name follows RFC 3848 (S: TLS, A: AUTH).
    public static func field(clientDomain: String?, clientAddress: String, hostname: String, tls: Bool, authenticated: Bool,
                             id: String, recipients: [String], date: Date = Date()) -> [UInt8] {
        let helo = (clientDomain ?? "unknown").filter { $0.isASCII && !$0.isWhitespace && $0 != "(" && $0 != ")" }.prefix(255)
        let address = clientAddress.contains(":") ? "IPv6:\(clientAddress)" : clientAddress
        let with = "ESMTP" + (tls ? "S" : "") + (authenticated ? "A" : "")
        var text = "Received: from \(helo.isEmpty ? "unknown" : String(helo)) ([\(address)])\r\n\tby \(hostname) (mail-queue relay) with \(with) id \(id)"
        if recipients.count == 1, let only = recipients.first { text += "\r\n\tfor <\(only)>" }
        text += ";\r\n\t" + RFC5322Date.format(date, offsetSeconds: 0) + "\r\n"
        return Array(text.utf8)
    }
}
