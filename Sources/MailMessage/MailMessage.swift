import Foundation

/// MailMessage is an e-mail to be sent: addresses, subject, bodies, attachments and extra headers,
/// written as RFC 5322/MIME by `encode(options:into:)` or sent by `write(to:)`.
///
/// ```swift
/// var message = MailMessage(from: try MailAddress("送信者 <sender@example.jp>"), charset: .iso2022JP)
/// message.to = [try MailAddress("taro@example.jp", field: "To")]
/// message.subject = "会議のお知らせ"
/// message.text = "明日10時から会議です。\n"
/// message.attachments = [Attachment(filename: "議事録.pdf", contentType: "application/pdf", file: "/tmp/m.pdf")]
/// let report = try message.write(to: connection)
/// ```
///
/// Bcc recipients get the message but are never written as a header. Return-Path is the
/// envelope sender (`MAIL FROM`) and not a header: the receiving server adds that one.
/// Every value is checked when the message is written: CR, LF and NUL are refused in every
/// header, address and file name (header injection), and characters the charset cannot carry
/// are refused with the field's name.
public struct MailMessage: Sendable {
    /// The author (`From`).
    public var from: MailAddress
    /// The sender when different from the author (`Sender`).
    public var sender: MailAddress?
    /// Primary recipients (`To`).
    public var to: [MailAddress] = []
    /// Copied recipients (`Cc`).
    public var cc: [MailAddress] = []
    /// Blind-copied recipients: in the envelope only, never in a header.
    public var bcc: [MailAddress] = []
    /// Where replies go (`Reply-To`).
    public var replyTo: [MailAddress] = []
    /// Where bounces go: the envelope sender (`MAIL FROM`). Nil uses `sender`, then `from`.
    public var returnPath: MailAddress?
    /// The subject; any text the charset can carry, any length (folded and encoded as needed).
    public var subject: String = ""
    /// The date written in `Date`.
    public var date: Date
    /// The time zone offset of `Date`, in seconds east of UTC (32400 for Japan).
    public var timeZoneOffset: Int
    /// The `Message-ID`, with angle brackets. A new unique one by default; a queue sets a stable
    /// one per request (`MessageID.stable(unique:domain:)`) so a resend can be recognised.
    public var messageID: String
    /// The charset of the subject, display names and text bodies.
    public var charset: MessageCharset
    /// The plain-text body.
    public var text: String?
    /// The HTML body; with `text` too, the message is multipart/alternative.
    public var html: String?
    /// Parts the HTML body shows inline (each with a `contentID`); multipart/related.
    public var inlineParts: [Attachment] = []
    /// Attachments; with any, the message is multipart/mixed.
    public var attachments: [Attachment] = []
    /// Extra header fields, written after the standard ones in order.
    public var headers: [MailHeader] = []

    /// Creates a message from its author, dated now in the local time zone, with `messageID`
    /// or else a new unique Message-ID in `messageIDDomain` (by default the author's domain).
    public init(from: MailAddress, charset: MessageCharset = .utf8, messageIDDomain: String? = nil, messageID: String? = nil) {
        self.from = from
        self.charset = charset
        self.date = Date()
        self.timeZoneOffset = RFC5322Date.localOffset(at: date)
        if let messageID {
            self.messageID = messageID
        } else {
            let domain = messageIDDomain ?? from.address.split(separator: "@").last.map(String.init) ?? "localhost"
            self.messageID = MessageID.make(domain: domain.allSatisfy(\.isASCII) ? domain : "localhost")
        }
    }

    /// Creates a message from address strings (as a queue stores them), parsing each and naming
    /// the field in errors (`From`, `To[1]`, …).
    /// - Throws: `MessageError` for an invalid address or header injection.
    public init(
        from: String, to: [String] = [], cc: [String] = [], bcc: [String] = [], replyTo: [String] = [],
        returnPath: String? = nil, subject: String = "", text: String? = nil, html: String? = nil,
        charset: MessageCharset = .utf8, messageIDDomain: String? = nil, messageID: String? = nil
    ) throws(MessageError) {
        self.init(from: try MailAddress(from, field: "From"), charset: charset, messageIDDomain: messageIDDomain, messageID: messageID)
        self.to = try Self.parse(to, field: "To")
        self.cc = try Self.parse(cc, field: "Cc")
        self.bcc = try Self.parse(bcc, field: "Bcc")
        self.replyTo = try Self.parse(replyTo, field: "Reply-To")
        if let returnPath { self.returnPath = try MailAddress(returnPath, field: "Return-Path") }
        self.subject = subject
        self.text = text
        self.html = html
    }

    private static func parse(_ list: [String], field: String) throws(MessageError) -> [MailAddress] {
        var result: [MailAddress] = []
        for (index, text) in list.enumerated() { result.append(try MailAddress(text, field: "\(field)[\(index)]")) }
        return result
    }

    /// The envelope sender (`MAIL FROM`): `returnPath`, else `sender`, else `from`.
    public var envelopeSender: String { (returnPath ?? sender ?? from).address }

    /// The envelope recipients (`RCPT TO`): To, Cc and Bcc in that order, each address once.
    public var envelopeRecipients: [String] {
        // One recipient (most queued mail) needs no de-duplication.
        if to.count + cc.count + bcc.count == 1 { return [(to.first ?? cc.first ?? bcc[0]).address] }
        var seen: Set<String> = []
        return (to + cc + bcc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// True when an address (header or envelope) has non-ASCII characters: sending needs SMTPUTF8.
    public var needsSMTPUTF8: Bool {
        from.needsSMTPUTF8 || sender?.needsSMTPUTF8 == true || returnPath?.needsSMTPUTF8 == true
            || [to, cc, bcc, replyTo].contains { $0.contains(where: \.needsSMTPUTF8) }
    }

    /// Checks everything that can be checked without sending: every header value, address,
    /// file name and charset conversion, by encoding the message to nowhere (attachment files
    /// are not read). A queue calls this when a request is stored.
    /// - Throws: the first `MessageError`.
    public func validate(options: EncodingOptions = EncodingOptions(allowSMTPUTF8: true)) throws(MessageError) {
        if envelopeRecipients.isEmpty {
            throw MessageError(.noRecipient, field: "To", reason: "the message has no recipient in To, Cc or Bcc")
        }
        try validateEnvelope()
        var encoder = try MessageEncoder(message: self, options: options)
        do {
            try encoder.encode(readFiles: false) { _ in }
        } catch let error as MessageError {
            throw error
        } catch {
            throw MessageError(.attachmentUnreadable, field: "message", reason: "\(error)")
        }
    }
}

/// EncodingOptions says what the receiving server allows.
public struct EncodingOptions: Sendable, Hashable {
    /// Text parts may be sent as 8bit (the server offers 8BITMIME); otherwise they are 7bit,
    /// quoted-printable or base64.
    public var allow8Bit: Bool
    /// Addresses may carry UTF-8 (the server offers SMTPUTF8); otherwise a non-ASCII address is
    /// a `smtpUTF8Required` error.
    public var allowSMTPUTF8: Bool

    /// Creates options; the defaults suit any server (7-bit, ASCII addresses).
    public init(allow8Bit: Bool = false, allowSMTPUTF8: Bool = false) {
        self.allow8Bit = allow8Bit
        self.allowSMTPUTF8 = allowSMTPUTF8
    }
}
