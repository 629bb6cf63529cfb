extension SMTPConnection {
    /// Sends MAIL FROM, every RCPT TO and DATA — in one write when the server offers PIPELINING
    /// (RFC 2920) — and stops where the message body starts, so the caller streams the body
    /// (`writeRawData`) and decides when the final dot goes out (`closeData`).
    /// `send(_:next:beforeFinalDot:)` does the whole transaction with a hook before the dot;
    /// this is for callers that write the body themselves.
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
        let envelope = Envelope(sender: sender, recipients: recipients, mailParameters: mailParameters)
        do throws(SMTPError) { try envelope.check() } catch { throw error.filling(context("begin_mail")) }
        return try endingEmptyMessage(try readEnvelope(envelope, sentAhead: false))
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
        try endingEmptyMessage(try readEnvelope(envelope, sentAhead: true))
    }

    /// Throws the failure `readEnvelope` met, and ends at once the empty message of a DATA
    /// answered 354 although no recipient was accepted.
    private func endingEmptyMessage(_ envelope: MailResult) throws(SMTPError) -> MailResult {
        if let failure = envelope.failure { throw failure }
        var result = envelope
        if result.dataReply?.code == 354 && result.acceptedRecipients.isEmpty {
            result.finalReply = try finishData(step: "begin_mail", raising: false)
        }
        return result
    }
}
