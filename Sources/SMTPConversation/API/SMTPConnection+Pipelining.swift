/// MailResult is the outcome of `sendMail`: each reply of the transaction.
public struct MailResult: Sendable {
    /// The reply to MAIL FROM.
    public var mailReply: Reply
    /// Each recipient with the reply to its RCPT TO, in order.
    public var recipientReplies: [(recipient: String, reply: Reply)]
    /// The reply to DATA (354 when the body was sent), nil when not reached.
    public var dataReply: Reply?
    /// The reply to the final dot, nil when the body was not sent.
    public var finalReply: Reply?

    /// The recipients the server accepted.
    public var acceptedRecipients: [String] { recipientReplies.filter { $0.reply.isPositiveCompletion }.map(\.recipient) }
    /// The recipients the server refused, with its reply.
    public var refusedRecipients: [(recipient: String, reply: Reply)] { recipientReplies.filter { $0.reply.isFailure } }
    /// True when the message was accepted for at least one recipient.
    public var isDelivered: Bool { finalReply?.isPositiveCompletion ?? false }
}

extension SMTPConnection {
    /// Sends one message in one transaction: MAIL, every RCPT, DATA, the body and the final dot.
    ///
    /// When the server advertised PIPELINING (RFC 2920) MAIL, the RCPTs and DATA go out in one
    /// write and their replies are read together, which saves two round trips or more per
    /// message. Refused recipients are reported in the result; the message goes to the others.
    /// If no recipient is accepted the transaction is reset and nothing is sent.
    /// - Throws: network, timeout and protocol errors; 4xx/5xx replies are in the result.
    public func sendMail(from sender: String, to recipients: [String], body: [UInt8],
                         mailParameters: [String] = []) throws(SMTPError) -> MailResult {
        let step = "send_mail"
        guard !recipients.isEmpty else {
            throw SMTPError(.invalidArgument(field: "recipients", reason: "at least one recipient is needed"), context: context(step))
        }
        var commands: [Command] = [.mail(from: sender, parameters: mailParameters)]
        commands += recipients.map { Command.rcpt(to: $0, parameters: []) }
        if conversation.canPipeline {
            try write(commands + [.data], step: step)
        } else {
            try write([commands[0]], step: step)
        }
        let mailReply = try readReply(step: step)
        var result = MailResult(mailReply: mailReply, recipientReplies: [])
        for (index, recipient) in recipients.enumerated() {
            if !conversation.canPipeline {
                guard mailReply.isPositiveCompletion, !isClosed else { return result }
                try write([commands[index + 1]], step: step)
            }
            result.recipientReplies.append((recipient, try readReply(step: step)))
        }
        if !conversation.canPipeline {
            guard mailReply.isPositiveCompletion, !result.acceptedRecipients.isEmpty, !isClosed else {
                if !isClosed, mailReply.isPositiveCompletion { _ = try exchange(.rset, step: step, raising: false) }
                return result
            }
            try write([.data], step: step)
        }
        let dataReply = try readReply(step: step)
        result.dataReply = dataReply
        guard dataReply.code == 354 else {
            return result
        }
        if result.acceptedRecipients.isEmpty {
            // A server that opens DATA with no recipient: send an empty body so the transaction
            // ends without a message, then report.
            result.finalReply = try finishData(step: step, raising: false)
            return result
        }
        // The body and the final dot go out in one write (one TLS record, one system call).
        let encoded: [UInt8]
        do throws(SMTPError) { encoded = try conversation.body(body) + conversation.endOfData() } catch {
            throw error.filling(context(step))
        }
        emit(.sentData(encoded))
        try writeBytes(encoded, step: step)
        result.finalReply = try readReply(step: step)
        return result
    }
}
