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

/// OutgoingMail is one message for `sendMails`: the envelope and the body.
public struct OutgoingMail: Sendable {
    /// The envelope sender (MAIL FROM); empty for the null sender.
    public var sender: String
    /// The envelope recipients (RCPT TO).
    public var recipients: [String]
    /// The message as it should arrive (headers, blank line, body); line ends may be LF or CRLF.
    public var body: [UInt8]
    /// ESMTP parameters for MAIL FROM, e.g. `BODY=8BITMIME`.
    public var mailParameters: [String]

    /// Creates a message.
    public init(sender: String, recipients: [String], body: [UInt8], mailParameters: [String] = []) {
        self.sender = sender
        self.recipients = recipients
        self.body = body
        self.mailParameters = mailParameters
    }
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
        let results = try sendMails([OutgoingMail(sender: sender, recipients: recipients, body: body, mailParameters: mailParameters)])
        return results[0]
    }

    /// Sends several messages over this connection, one transaction each, and returns each
    /// one's result in order.
    ///
    /// With PIPELINING the end of one message and the next message's MAIL, RCPTs and DATA go
    /// out in one write (RFC 2920 allows message content first in a group), so each message
    /// costs one round trip. Without it, each message goes step by step.
    /// - Throws: network, timeout and protocol errors (the results of earlier messages are lost
    ///   with them: use `sendMail` one by one when each outcome must be recorded as it happens).
    public func sendMails(_ mails: [OutgoingMail]) throws(SMTPError) -> [MailResult] {
        let step = "send_mail"
        for mail in mails where mail.recipients.isEmpty {
            throw SMTPError(.invalidArgument(field: "recipients", reason: "at least one recipient is needed"), context: context(step))
        }
        guard conversation.canPipeline else {
            var results: [MailResult] = []
            for mail in mails { results.append(try sendStepByStep(mail, step: step)) }
            return results
        }
        guard !mails.isEmpty else { return [] }
        func group(_ mail: OutgoingMail) -> [Command] {
            Envelope(sender: mail.sender, recipients: mail.recipients, mailParameters: mail.mailParameters).commands
        }
        var results: [MailResult] = []
        try write(group(mails[0]), step: step)
        for (index, mail) in mails.enumerated() {
            var result = MailResult(mailReply: try readReply(step: step), recipientReplies: [])
            for recipient in mail.recipients { result.recipientReplies.append((recipient, try readReply(step: step))) }
            let dataReply = try readReply(step: step)
            result.dataReply = dataReply
            let next = index + 1 < mails.count ? group(mails[index + 1]) : []
            if dataReply.code == 354 {
                // The body (empty if no recipient was accepted, so no message is made), the final
                // dot and the next message's commands in one write.
                let encoded: [UInt8]
                do throws(SMTPError) {
                    encoded = try conversation.body(result.acceptedRecipients.isEmpty ? [] : mail.body) + conversation.endOfData()
                } catch {
                    throw error.filling(context(step))
                }
                emit(.sentData(encoded))
                try writeCommands(next, prefix: encoded, step: step)
                result.finalReply = try readReply(step: step)
            } else if !isClosed {
                // The transaction did not reach DATA: reset it, and go on with the next message.
                try write([.rset] + next, step: step)
                _ = try readReply(step: step)
            }
            results.append(result)
            if isClosed { break }
        }
        return results
    }

    private func sendStepByStep(_ mail: OutgoingMail, step: String) throws(SMTPError) -> MailResult {
        let mailReply = try exchange(.mail(from: mail.sender, parameters: mail.mailParameters), step: step, raising: false)
        var result = MailResult(mailReply: mailReply, recipientReplies: [])
        guard mailReply.isPositiveCompletion, !isClosed else { return result }
        for recipient in mail.recipients {
            result.recipientReplies.append((recipient, try exchange(.rcpt(to: recipient, parameters: []), step: step, raising: false)))
            if isClosed { return result }
        }
        guard !result.acceptedRecipients.isEmpty else {
            _ = try exchange(.rset, step: step, raising: false)
            return result
        }
        let dataReply = try exchange(.data, step: step, raising: false)
        result.dataReply = dataReply
        guard dataReply.code == 354 else { return result }
        let encoded: [UInt8]
        do throws(SMTPError) { encoded = try conversation.body(mail.body) + conversation.endOfData() } catch {
            throw error.filling(context(step))
        }
        emit(.sentData(encoded))
        try writeBytes(encoded, step: step)
        result.finalReply = try readReply(step: step)
        return result
    }
}
