/// QueueError is what the mail queue throws: a request that cannot be accepted, a store that
/// cannot be reached, a setting that is wrong. Each names what was wrong and where.
public struct QueueError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Kind classifies the failure.
    public enum Kind: String, Sendable, Equatable {
        /// The request has no recipient in To, Cc or Bcc.
        case noRecipient
        /// More recipients than `QueueLimits.maxRecipients`.
        case tooManyRecipients
        /// Attachments larger in total than `QueueLimits.maxAttachmentBytes`.
        case attachmentsTooLarge
        /// A body larger than `QueueLimits.maxBodyBytes`.
        case bodyTooLarge
        /// An address that is not a mailbox.
        case invalidAddress
        /// CR, LF or NUL in a header field (header injection), or another bad header value.
        case headerInjection
        /// A value the message cannot carry (charset, length, header syntax).
        case invalidMessage
        /// No template with that id and language.
        case unknownTemplate
        /// The template uses a variable the request does not give.
        case missingVariable
        /// The request gives a variable the template does not use.
        case unusedVariable
        /// The template is not valid mustache.
        case invalidTemplate
        /// A charset the queue does not know.
        case unknownCharset
        /// The database refused or failed a statement.
        case database
        /// The schema is missing or from a newer version.
        case schema
        /// A setting (flag, file, environment) is wrong.
        case configuration
        /// No request with that id.
        case notFound
    }

    /// What went wrong.
    public let kind: Kind

    /// The kind in words for people: `noRecipient` → "no recipient".
    public var kindWords: String {
        var words = ""
        for character in kind.rawValue {
            if character.isUppercase { words += " " + character.lowercased() } else { words.append(character) }
        }
        return words
    }
    /// What it is about: a field (`To[2]`, `template welcome/ja`), a table, a setting.
    public let field: String
    /// What was wrong, in words. Never holds a secret.
    public let reason: String

    /// Creates an error.
    public init(_ kind: Kind, field: String, reason: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
    }

    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}
