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
    /// one's result in order: `send(_:next:beforeFinalDot:)` for each, with the following
    /// message as its `next`. When the server closes the connection in between (a 421), the
    /// results stop at the last message it answered: those after it were not delivered (with
    /// PIPELINING the next one's envelope went out behind the dot, its message never did).
    ///
    /// With PIPELINING the end of one message and the next message's MAIL, RCPTs and DATA go
    /// out in one write (RFC 2920 allows message content first in a group), so each message
    /// costs one round trip. Without it, each message goes step by step.
    /// - Throws: `invalidArgument` for a message that cannot be sent (no recipient, a line break
    ///   in an address or parameter) before anything is written; network, timeout and protocol
    ///   errors (the results of earlier messages are lost with them: use `send` one by one when
    ///   each outcome must be recorded as it happens).
    public func sendMails(_ mails: [OutgoingMail]) throws(SMTPError) -> [MailResult] {
        // Every envelope is checked before the first goes out: a bad one later in the list
        // would otherwise throw after earlier messages were delivered, their results lost, and a
        // caller that retries the list would send them twice.
        for mail in mails {
            do throws(SMTPError) { try mail.transaction.envelope.check() } catch { throw error.filling(context("send_mail")) }
        }
        var results: [MailResult] = []
        results.reserveCapacity(mails.count)
        var transaction = mails.first.map(\.transaction)
        for index in mails.indices {
            guard let current = transaction else { break }
            let next = index + 1 < mails.count ? mails[index + 1].transaction : nil
            let result = try send(current, next: next)
            if let failure = result.failure { throw failure }
            results.append(result)
            if isClosed { break }
            transaction = next
        }
        return results
    }
}

extension OutgoingMail {
    /// The message as the transaction engine takes it.
    var transaction: MailTransaction {
        MailTransaction(
            envelope: Envelope(sender: sender, recipients: recipients, mailParameters: mailParameters), content: .bytes(body))
    }
}
