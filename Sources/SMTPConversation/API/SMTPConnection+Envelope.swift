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
        try write(Envelope(sender: sender, recipients: recipients, mailParameters: mailParameters).commands, step: step)
        return try envelopeReplies(recipients: recipients, step: step)
    }

    /// Writes the rest of a message body and its final dot and, when the server offers
    /// PIPELINING, the next message's MAIL FROM, RCPT TOs and DATA in the same write (RFC 2920
    /// lets message content open a group), then reads the reply to the dot. The next message
    /// then costs no round trip of its own: read its replies with `envelopeReplies(for:)`
    /// before anything else. Without PIPELINING (or with no `next`) this is
    /// `closeData(after:)` that returns a 4xx/5xx reply instead of throwing it. A `next` that
    /// could not be sent (no recipient, a line break in an address) is left out: the dot goes
    /// alone, and `next` is the caller's to send (or refuse) in its own turn.
    /// - Returns: the reply to the final dot, and whether `next` was sent.
    /// - Throws: network, timeout and protocol errors; a bare CR in `lastBytes` before anything
    ///   is written.
    public func closeData<Bytes: Collection>(after lastBytes: Bytes, beginning next: Envelope?)
        throws(SMTPError) -> (reply: Reply, beganNext: Bool) where Bytes.Element == UInt8
    {
        let step = "close_data"
        guard let next, conversation.canPipeline, next.isSendable else {
            return (try finishData(step: step, raising: false, after: lastBytes), false)
        }
        try writeCommands(next.commands, prefix: try ending(after: lastBytes, step: step), step: step)
        return (try readReply(step: step), true)
    }

    /// Reads the replies to an envelope that `closeData(after:beginning:)` sent: what
    /// `beginMail` returns, with the same data phase (and the same empty message ended at once
    /// when DATA was answered 354 although no recipient was accepted).
    public func envelopeReplies(for envelope: Envelope) throws(SMTPError) -> MailResult {
        try envelopeReplies(recipients: envelope.recipients, step: "begin_mail")
    }

    private func envelopeReplies(recipients: [String], step: String) throws(SMTPError) -> MailResult {
        var result = MailResult(mailReply: try readReply(step: step), recipientReplies: [])
        for recipient in recipients { result.recipientReplies.append((recipient, try readReply(step: step))) }
        result.dataReply = try readReply(step: step)
        if result.dataReply?.code == 354 && result.acceptedRecipients.isEmpty {
            result.finalReply = try finishData(step: step, raising: false)
        }
        return result
    }
}

/// Envelope is a message's MAIL FROM and RCPT TOs, sent ahead of it with
/// `SMTPConnection.closeData(after:beginning:)`.
public struct Envelope: Sendable, Equatable {
    /// The envelope sender (MAIL FROM); empty for the null sender.
    public var sender: String
    /// The envelope recipients (RCPT TO), at least one.
    public var recipients: [String]
    /// ESMTP parameters for MAIL FROM, e.g. `BODY=8BITMIME`.
    public var mailParameters: [String]

    /// Creates an envelope.
    public init(sender: String, recipients: [String], mailParameters: [String] = []) {
        self.sender = sender
        self.recipients = recipients
        self.mailParameters = mailParameters
    }

    /// True when every command of the envelope can be written (at least one recipient, no
    /// line break or NUL in an address or parameter).
    var isSendable: Bool {
        !recipients.isEmpty && commands.allSatisfy { command in (try? command.wireBytes()) != nil }
    }

    /// MAIL FROM, each RCPT TO, DATA.
    var commands: [Command] {
        [.mail(from: sender, parameters: mailParameters)] + recipients.map { .rcpt(to: $0, parameters: []) } + [.data]
    }
}
