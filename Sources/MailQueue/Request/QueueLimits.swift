/// QueueLimits are the checks and defaults applied when a request is enqueued
/// (Nablarch's MailRequestConfig).
public struct QueueLimits: Sendable, Hashable {
    /// The most recipients (To + Cc + Bcc) one request may have. Default 100.
    public var maxRecipients: Int
    /// The most attachment bytes (all attachments together) one request may carry. Default 2 MiB.
    public var maxAttachmentBytes: Int
    /// The most bytes (UTF-8, after a template is rendered) one request's body may have. Default 1 MiB.
    public var maxBodyBytes: Int
    /// The charset when neither the request nor its template names one.
    public var defaultCharset: String
    /// The Reply-To when the request gives none.
    public var defaultReplyTo: String?
    /// The Return-Path (envelope sender) when the request gives none.
    public var defaultReturnPath: String?

    /// Creates limits; the defaults are Nablarch's (100 recipients, 2 MiB, UTF-8 here) and a
    /// 1 MiB body.
    public init(maxRecipients: Int = 100, maxAttachmentBytes: Int = 2 * 1024 * 1024, maxBodyBytes: Int = 1024 * 1024,
                defaultCharset: String = "UTF-8", defaultReplyTo: String? = nil, defaultReturnPath: String? = nil) {
        self.maxRecipients = maxRecipients
        self.maxAttachmentBytes = maxAttachmentBytes
        self.maxBodyBytes = maxBodyBytes
        self.defaultCharset = defaultCharset
        self.defaultReplyTo = defaultReplyTo
        self.defaultReturnPath = defaultReturnPath
    }
}
