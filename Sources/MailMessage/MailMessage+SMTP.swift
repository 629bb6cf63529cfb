import SMTPConversation

/// DeliveryReport is the outcome of `MailMessage.write(to:)`.
public struct DeliveryReport: Sendable {
    /// The server's reply to the final `.` (250 when accepted).
    public let reply: Reply
    /// Recipients the server accepted with RCPT.
    public let accepted: [String]
    /// Recipients the server refused with RCPT, and the error (its reply) for each.
    public let refused: [RefusedRecipient]
}

/// RefusedRecipient is one recipient a server refused at RCPT TO.
public struct RefusedRecipient: Sendable {
    /// The address refused.
    public let recipient: String
    /// The error, `transientError` (4xx) or `permanentError` (5xx) with the server's reply.
    public let error: SMTPError
}

/// EnvelopePlan is what a connection's capabilities mean for one message: the MAIL FROM
/// parameters and the encoding options to use.
public struct EnvelopePlan: Sendable, Hashable {
    /// Parameters for `mail(from:parameters:)`: `BODY=8BITMIME`, `SMTPUTF8`.
    public let mailParameters: [String]
    /// Options for `encode(options:into:)`.
    public let options: EncodingOptions
}

extension MailMessage {
    /// Decides how to send this message to a server with `capabilities` (nil when the server did
    /// not answer EHLO, i.e. after HELO: 7-bit only).
    ///
    /// 8bit text parts are used when the server offers 8BITMIME (`BODY=8BITMIME` is declared);
    /// `SMTPUTF8` is declared when an address is not ASCII.
    /// - Throws: `smtpUTF8Required` naming the first non-ASCII address when the server does not
    ///   offer SMTPUTF8; the message cannot be sent there as it is.
    public func plan(for capabilities: Capabilities?) throws(MessageError) -> EnvelopePlan {
        let eightBit = capabilities?.eightBitMIME ?? false
        let utf8 = capabilities?.smtpUTF8 ?? false
        var parameters: [String] = []
        if needsSMTPUTF8 {
            guard utf8 else {
                let fields: [(String, MailAddress?)] =
                    [("From", from), ("Sender", sender), ("Return-Path", returnPath)]
                    + to.enumerated().map { ("To[\($0)]", $1) } + cc.enumerated().map { ("Cc[\($0)]", $1) }
                    + bcc.enumerated().map { ("Bcc[\($0)]", $1) } + replyTo.enumerated().map { ("Reply-To[\($0)]", $1) }
                let (field, address) = fields.first { $0.1?.needsSMTPUTF8 == true }!
                throw MessageError(
                    .smtpUTF8Required, field: field,
                    reason: "\"\(address!.address)\" is not ASCII and the server does not offer SMTPUTF8")
            }
            parameters.append("SMTPUTF8")
        }
        if eightBit { parameters.insert("BODY=8BITMIME", at: 0) }
        return EnvelopePlan(
            mailParameters: parameters, options: EncodingOptions(allow8Bit: eightBit, allowSMTPUTF8: utf8))
    }

    /// Sends the message in one mail transaction on an open connection (after EHLO, and
    /// STARTTLS/AUTH if wanted): MAIL FROM the envelope sender, RCPT TO every recipient (To,
    /// Cc, Bcc), DATA with the message streamed in chunks, and the final `.`.
    ///
    /// The whole message is checked before MAIL FROM, so an invalid one never opens a
    /// transaction. Recipients the server refuses are reported, not fatal, as long as one is
    /// accepted; when all are refused the transaction is reset and the first refusal thrown.
    /// If anything fails while the body is being sent, the connection is closed without the
    /// final `.`, so a partial message is never delivered.
    /// - Parameters:
    ///   - connection: an open connection that has seen EHLO.
    ///   - beforeFinalDot: called after the last body byte and before `.`; a queue marks the
    ///     request "delivery uncertain" here. An error it throws closes the connection.
    /// - Returns: the final reply and the accepted and refused recipients.
    /// - Throws: `MessageError` (invalid message, SMTPUTF8 not offered) or `SMTPError`.
    @discardableResult
    public func write(to connection: SMTPConnection, beforeFinalDot: () throws -> Void = {}) throws -> DeliveryReport {
        let recipients = envelopeRecipients
        if recipients.isEmpty {
            throw MessageError(.noRecipient, field: "To", reason: "the message has no recipient in To, Cc or Bcc")
        }
        let plan = try plan(for: connection.capabilities)
        try validate(options: plan.options)
        try connection.mail(from: envelopeSender, parameters: plan.mailParameters)
        var accepted: [String] = []
        var refused: [RefusedRecipient] = []
        for recipient in recipients {
            do {
                try connection.rcpt(to: recipient)
                accepted.append(recipient)
            } catch {
                guard error.reply != nil else { throw error }
                refused.append(RefusedRecipient(recipient: recipient, error: error))
            }
        }
        if accepted.isEmpty {
            _ = try? connection.rset()
            throw refused[0].error
        }
        try connection.openData()
        do {
            try writeContent(to: connection, options: plan.options)
            try beforeFinalDot()
        } catch {
            // Without the final dot the server discards what it received.
            connection.closeConnection()
            throw error
        }
        let reply = try connection.closeData()
        return DeliveryReport(reply: reply, accepted: accepted, refused: refused)
    }

    /// Streams the message's bytes with `writeRawData` (after `openData`, before `closeData`), for
    /// callers that drive the transaction themselves.
    /// - Throws: `MessageError` or the connection's `SMTPError`.
    public func writeContent(to connection: SMTPConnection, options: EncodingOptions) throws {
        try encode(options: options) { chunk in try connection.writeRawData(chunk) }
    }
}
