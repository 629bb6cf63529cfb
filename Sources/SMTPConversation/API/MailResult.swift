/// MailResult is the outcome of one mail transaction (`send(_:next:beforeFinalDot:)`,
/// `sendMail`): each reply the server gave, and whether its verdict on the message is known.
public struct MailResult: Sendable {
    /// The reply to MAIL FROM.
    public var mailReply: Reply
    /// Each recipient with the reply to its RCPT TO, in order.
    public var recipientReplies: [(recipient: String, reply: Reply)]
    /// The reply to DATA (354 when the body was sent), nil when not reached.
    public var dataReply: Reply?
    /// The reply to the final dot, nil when the body was not sent or the reply never came.
    public var finalReply: Reply?
    /// The error that cut the transaction short after MAIL FROM was answered (the connection
    /// dropped, a timeout, a malformed reply, a message source that failed); nil when every
    /// step was answered. The connection is closed when this is set.
    public var failure: SMTPError?
    /// False only when the final dot was written and no reply to it came (`failure` says why):
    /// the server may have accepted the message, so sending it again may deliver it twice.
    public var isOutcomeKnown: Bool = true
    /// True when the hook called before the final dot withheld it: the connection was closed
    /// without the dot, so the server discarded the message.
    public var isWithheld: Bool = false

    /// Creates a result from the reply to MAIL FROM; the other replies are filled in as they come.
    init(mailReply: Reply, recipientReplies: [(recipient: String, reply: Reply)] = []) {
        self.mailReply = mailReply
        self.recipientReplies = recipientReplies
    }

    /// The recipients the server accepted.
    public var acceptedRecipients: [String] { recipientReplies.filter { $0.reply.isPositiveCompletion }.map(\.recipient) }
    /// The recipients the server refused, with its reply.
    public var refusedRecipients: [(recipient: String, reply: Reply)] { recipientReplies.filter { $0.reply.isFailure } }
    /// True when the message was accepted for at least one recipient.
    public var isDelivered: Bool {
        (finalReply?.isPositiveCompletion ?? false) && recipientReplies.contains { $0.reply.isPositiveCompletion }
    }
    /// True when the transaction reached the data phase with an accepted recipient: the
    /// message itself was about to go out.
    var reachedMessage: Bool { dataReply?.code == 354 && recipientReplies.contains { $0.reply.isPositiveCompletion } }
}
