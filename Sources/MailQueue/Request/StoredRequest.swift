/// StoredRequest is a request as the queue keeps it: everything resolved (template rendered,
/// defaults applied), with its id and its stable Message-ID. The sender reads these back.
public struct StoredRequest: Sendable, Hashable {
    /// The request id.
    public var id: String
    /// The send pattern, if any.
    public var patternID: String?
    /// `From`.
    public var from: String
    /// `Reply-To`, if any.
    public var replyTo: String?
    /// The envelope sender for bounces, if different from `from`.
    public var returnPath: String?
    /// The charset name.
    public var charset: String
    /// The subject, rendered.
    public var subject: String
    /// The plain-text body, rendered.
    public var body: String
    /// The recipients in order.
    public var recipients: [(kind: RecipientKind, address: String)]
    /// The attachments in order.
    public var attachments: [MailAttachment]
    /// The Message-ID, the same on every attempt so a resend can be recognised downstream.
    public var messageID: String
    /// For a raw message (`RawMessage`, the relay's): the content exactly as given, sent as it
    /// is; nil for requests whose message is built from the fields above.
    public var raw: [UInt8]?
    /// Not before this time (ms since 1970), if the request was scheduled.
    public var notBefore: Int64?
    /// The priority: a higher one is claimed first (default 0).
    public var priority: Int

    /// Creates a stored request.
    public init(id: String, patternID: String?, from: String, replyTo: String?, returnPath: String?, charset: String,
                subject: String, body: String, recipients: [(kind: RecipientKind, address: String)],
                attachments: [MailAttachment], messageID: String, raw: [UInt8]? = nil, notBefore: Int64? = nil,
                priority: Int = 0) {
        self.id = id
        self.patternID = patternID
        self.from = from
        self.replyTo = replyTo
        self.returnPath = returnPath
        self.charset = charset
        self.subject = subject
        self.body = body
        self.recipients = recipients
        self.attachments = attachments
        self.messageID = messageID
        self.raw = raw
        self.notBefore = notBefore
        self.priority = priority
    }

    /// Two stored requests are equal when every field is.
    public static func == (lhs: StoredRequest, rhs: StoredRequest) -> Bool {
        lhs.id == rhs.id && lhs.patternID == rhs.patternID && lhs.from == rhs.from && lhs.replyTo == rhs.replyTo
            && lhs.returnPath == rhs.returnPath && lhs.charset == rhs.charset && lhs.subject == rhs.subject
            && lhs.body == rhs.body && lhs.attachments == rhs.attachments && lhs.messageID == rhs.messageID && lhs.raw == rhs.raw
            && lhs.notBefore == rhs.notBefore && lhs.priority == rhs.priority
            && lhs.recipients.map { "\($0.kind.rawValue):\($0.address)" }
                == rhs.recipients.map { "\($0.kind.rawValue):\($0.address)" }
    }

    /// Hashes the id (enough to tell requests apart).
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
