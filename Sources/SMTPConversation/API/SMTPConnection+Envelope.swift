extension SMTPConnection {
    /// Sends MAIL FROM, every RCPT TO and DATA — in one write when the server offers PIPELINING
    /// (RFC 2920) — and stops where the message body starts, so the caller streams the body
    /// (`writeRawData`) and decides when the final dot goes out (`closeData`). A mail queue
    /// needs that moment to mark a request "delivery uncertain" before the dot; `sendMail`
    /// writes body and dot together and cannot give it.
    ///
    /// - Returns: the replies. When `dataReply?.code == 354` and a recipient was accepted, the
    ///   connection is in the data phase. When DATA was answered 354 although no recipient was
    ///   accepted, the empty message is ended at once (`finalReply` set; nothing is delivered).
    ///   When MAIL or DATA was refused the mail transaction may still be open on the server:
    ///   call `rset()` before the next one. Without PIPELINING the steps go one by one and stop
    ///   at the first that makes the rest pointless (MAIL refused, no recipient accepted).
    /// - Throws: network, timeout and protocol errors; 4xx/5xx replies are in the result.
    public func beginMail(from sender: String, to recipients: [String], mailParameters: [String] = [])
        throws(SMTPError) -> MailResult
    {
        let step = "begin_mail"
        guard !recipients.isEmpty else {
            throw SMTPError(.invalidArgument(field: "recipients", reason: "at least one recipient is needed"), context: context(step))
        }
        guard conversation.canPipeline else {
            var result = MailResult(
                mailReply: try exchange(.mail(from: sender, parameters: mailParameters), step: step, raising: false),
                recipientReplies: [])
            guard result.mailReply.isPositiveCompletion, !isClosed else { return result }
            for recipient in recipients {
                result.recipientReplies.append((recipient, try exchange(.rcpt(to: recipient, parameters: []), step: step, raising: false)))
                if isClosed { return result }
            }
            guard !result.acceptedRecipients.isEmpty else { return result }
            result.dataReply = try exchange(.data, step: step, raising: false)
            return result
        }
        let commands: [Command] = [.mail(from: sender, parameters: mailParameters)]
            + recipients.map { .rcpt(to: $0, parameters: []) } + [.data]
        try write(commands, step: step)
        var result = MailResult(mailReply: try readReply(step: step), recipientReplies: [])
        for recipient in recipients { result.recipientReplies.append((recipient, try readReply(step: step))) }
        result.dataReply = try readReply(step: step)
        if result.dataReply?.code == 354 && result.acceptedRecipients.isEmpty {
            result.finalReply = try finishData(step: step, raising: false)
        }
        return result
    }
}
