/// MessageError is what MailMessage throws when a message cannot be built or sent as asked.
///
/// Every error names the field it is about (`Subject`, `To[2]`, `attachment[0].filename`, …)
/// and says what was wrong with it, so a queue can record it and a person can fix the input.
/// None of these errors goes away by retrying: a mail queue should mark the request failed,
/// except `attachmentUnreadable`, which may be a passing file-system problem.
public struct MessageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Kind classifies the failure.
    public enum Kind: String, Sendable, Equatable {
        /// CR, LF or NUL in a header value, address or file name: the value would start a new
        /// header line (header injection) or be cut short.
        case headerInjection
        /// An address that is not an RFC 5321/5322 mailbox.
        case invalidAddress
        /// A character the message's charset cannot carry.
        case unrepresentableCharacter
        /// A value longer than the protocol allows.
        case tooLong
        /// A header name or value that is not allowed (reserved names, bad syntax).
        case invalidHeader
        /// The message needs SMTPUTF8 (a non-ASCII address) and the server does not offer it.
        case smtpUTF8Required
        /// The message needs 8BITMIME and the server does not offer it.
        case eightBitMIMERequired
        /// The message has no recipient (To, Cc and Bcc are all empty).
        case noRecipient
        /// An attachment's file could not be opened or read.
        case attachmentUnreadable
    }

    /// What went wrong.
    public let kind: Kind
    /// The field the error is about, e.g. `Subject`, `To[1]`, `attachment[0].filename`.
    public let field: String
    /// What was wrong, in words.
    public let reason: String

    /// Creates an error.
    public init(_ kind: Kind, field: String, reason: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
    }

    /// `field: reason`, e.g. `Subject: contains LF at offset 5`.
    public var description: String { "\(field): \(reason)" }

    /// The same error about another field name (e.g. `address` becomes `To[2]`).
    func renamed(_ field: String) -> MessageError { MessageError(kind, field: field, reason: reason) }
}
