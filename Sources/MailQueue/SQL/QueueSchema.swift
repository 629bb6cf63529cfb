/// QueueSchema names the queue's tables and columns, so the queue can work on an existing
/// schema (as Nablarch's MailRequestTable and friends allow). The defaults are the queue's own.
///
/// Names are written double-quoted in SQL, so any name the database accepts works; a name may
/// not itself contain a double quote.
public struct QueueSchema: Sendable, Hashable, Codable {
    /// The request table and its columns.
    public struct Requests: Sendable, Hashable, Codable {
        /// Table name.
        public var table = "mail_request"
        /// Request id (primary key, text).
        public var id = "id"
        /// Send pattern id (Nablarch's mailSendPatternId).
        public var patternID = "pattern_id"
        /// Id of the sender process holding the claim.
        public var leaseOwner = "lease_owner"
        /// When the claim expires (ms since 1970).
        public var leaseUntil = "lease_until"
        /// Subject.
        public var subject = "subject"
        /// From.
        public var from = "from_address"
        /// Reply-To.
        public var replyTo = "reply_to"
        /// Return-Path (envelope sender).
        public var returnPath = "return_path"
        /// Charset.
        public var charset = "charset"
        /// Body text.
        public var body = "body"
        /// Status (`RequestStatus` raw value).
        public var status = "status"
        /// When requested (ms since 1970).
        public var requestedAt = "requested_at"
        /// When sent (ms since 1970).
        public var sentAt = "sent_at"
        /// Attempts made.
        public var attempts = "attempts"
        /// Not before (ms since 1970).
        public var nextAttemptAt = "next_attempt_at"
        /// The last error or reply.
        public var lastError = "last_error"
        /// Message-ID.
        public var messageID = "message_id"
        /// Recipients the server refused (one per line, with the reply).
        public var refused = "refused_recipients"
        /// A raw message's content (bytes), NULL for the other kinds (schema version 2).
        public var rawMessage = "raw_message"
        /// When the request reached `sent`, `failed` or `cancelled` (ms since 1970; schema version 3):
        /// what retention counts from.
        public var finishedAt = "finished_at"
        /// Priority: a higher one is claimed first (default 0; schema version 3).
        public var priority = "priority"
        /// Not before (ms since 1970) as the request asked, NULL when it did not (schema
        /// version 4); claims read `nextAttemptAt`, which starts there.
        public var notBefore = "not_before"
        /// Creates the default names.
        public init() {}
    }

    /// The recipient table and its columns.
    public struct Recipients: Sendable, Hashable, Codable {
        /// Table name.
        public var table = "mail_recipient"
        /// Request id.
        public var requestID = "request_id"
        /// Order within the request.
        public var sequence = "seq"
        /// `TO`, `CC` or `BCC`.
        public var kind = "kind"
        /// The address.
        public var address = "address"
        /// Creates the default names.
        public init() {}
    }

    /// The attachment table and its columns.
    public struct Attachments: Sendable, Hashable, Codable {
        /// Table name.
        public var table = "mail_attachment"
        /// Request id.
        public var requestID = "request_id"
        /// Order within the request.
        public var sequence = "seq"
        /// File name.
        public var filename = "filename"
        /// Media type.
        public var contentType = "content_type"
        /// Bytes.
        public var data = "data"
        /// Creates the default names.
        public init() {}
    }

    /// The template table and its columns.
    public struct Templates: Sendable, Hashable, Codable {
        /// Table name.
        public var table = "mail_template"
        /// Template id.
        public var id = "id"
        /// Language.
        public var language = "lang"
        /// Subject template.
        public var subject = "subject"
        /// Body template.
        public var body = "body"
        /// Charset.
        public var charset = "charset"
        /// Creates the default names.
        public init() {}
    }

    /// Requests.
    public var requests = Requests()
    /// Recipients.
    public var recipients = Recipients()
    /// Attachments.
    public var attachments = Attachments()
    /// Templates.
    public var templates = Templates()
    /// The table recording the schema version.
    public var versionTable = "mail_queue_version"

    /// The default schema.
    public init() {}
}

/// Quotes an identifier for SQL: `"name"`.
func q(_ name: String) -> String { "\"" + name + "\"" }
