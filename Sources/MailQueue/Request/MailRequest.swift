import Foundation

/// MailRequest is one send request as an application makes it: who it is from, who gets it,
/// and either the subject and body themselves (free text) or a template and its variables.
///
/// A request becomes one row per table when enqueued (see `EnqueueStatements`) and one mail
/// when the sender delivers it; it is checked in full by `RequestValidator` before that.
public struct MailRequest: Sendable, Hashable, Codable {
    /// Content is what the message says: free text, or a template rendered at enqueue time.
    public enum Content: Sendable, Hashable, Codable {
        /// Subject and body given as they are.
        case text(subject: String, body: String)
        /// A stored template (`templateID` in `language`) rendered with `variables`.
        case template(id: String, language: String, variables: [String: TemplateValue])
    }

    /// The author (`From`).
    public var from: String
    /// Primary recipients (`To`).
    public var to: [String]
    /// Copied recipients (`Cc`).
    public var cc: [String]
    /// Blind-copied recipients (envelope only).
    public var bcc: [String]
    /// Where replies go (`Reply-To`); nil uses the configured default, if any.
    public var replyTo: String?
    /// The envelope sender for bounces (`MAIL FROM`); nil uses the configured default or `from`.
    public var returnPath: String?
    /// The charset name (`UTF-8`, `ISO-2022-JP`, …); nil uses the template's or the default.
    public var charset: String?
    /// The send pattern (Nablarch's mailSendPatternId): a sender can be limited to one pattern.
    public var patternID: String?
    /// What the message says.
    public var content: Content
    /// Attachments, stored with the request.
    public var attachments: [MailAttachment]
    /// Not before this time (ms since 1970): no sender claims the request earlier; nil sends
    /// it as soon as a sender is free. A time already past is due at once.
    public var notBefore: Int64?
    /// The priority: among due requests a higher one is claimed first, then the one due
    /// longest (default 0; negative values go after the default).
    public var priority: Int

    /// Creates a request.
    public init(from: String, to: [String] = [], cc: [String] = [], bcc: [String] = [], replyTo: String? = nil,
                returnPath: String? = nil, charset: String? = nil, patternID: String? = nil,
                content: Content, attachments: [MailAttachment] = [], notBefore: Int64? = nil, priority: Int = 0) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.returnPath = returnPath
        self.charset = charset
        self.patternID = patternID
        self.content = content
        self.attachments = attachments
        self.notBefore = notBefore
        self.priority = priority
    }

    /// Decodes a request; `notBefore` and `priority` may be missing (requests encoded before
    /// they existed), meaning none and 0.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            from: try container.decode(String.self, forKey: .from), to: try container.decode([String].self, forKey: .to),
            cc: try container.decode([String].self, forKey: .cc), bcc: try container.decode([String].self, forKey: .bcc),
            replyTo: try container.decodeIfPresent(String.self, forKey: .replyTo),
            returnPath: try container.decodeIfPresent(String.self, forKey: .returnPath),
            charset: try container.decodeIfPresent(String.self, forKey: .charset),
            patternID: try container.decodeIfPresent(String.self, forKey: .patternID),
            content: try container.decode(Content.self, forKey: .content),
            attachments: try container.decode([MailAttachment].self, forKey: .attachments),
            notBefore: try container.decodeIfPresent(Int64.self, forKey: .notBefore),
            priority: try container.decodeIfPresent(Int.self, forKey: .priority) ?? 0)
    }
}

/// MailAttachment is a file carried by a request: its name, media type and bytes.
public struct MailAttachment: Sendable, Hashable, Codable {
    /// The file name shown to the recipient.
    public var filename: String
    /// The media type, e.g. `application/pdf`.
    public var contentType: String
    /// The file's bytes.
    public var data: [UInt8]

    /// Creates an attachment.
    public init(filename: String, contentType: String = "application/octet-stream", data: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

/// RecipientKind is the header a recipient belongs to; stored as `TO`, `CC` or `BCC`.
public enum RecipientKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `To`.
    case to = "TO"
    /// `Cc`.
    case cc = "CC"
    /// `Bcc` (envelope only).
    case bcc = "BCC"
}
