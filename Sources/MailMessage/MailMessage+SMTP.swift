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

extension EncodingOptions {
    /// Creates the options a server with `capabilities` allows: 8bit text where it offers
    /// 8BITMIME, UTF-8 addresses where it offers SMTPUTF8; 7-bit and ASCII after HELO (nil).
    public init(offeredBy capabilities: Capabilities?) {
        self.init(allow8Bit: capabilities?.eightBitMIME ?? false, allowSMTPUTF8: capabilities?.smtpUTF8 ?? false)
    }
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
    /// not answer EHLO, i.e. after HELO: 7-bit only): `plan(allowing:)` with what it offers.
    /// - Throws: `smtpUTF8Required` naming the first non-ASCII address when the server does not
    ///   offer SMTPUTF8; the message cannot be sent there as it is.
    public func plan(for capabilities: Capabilities?) throws(MessageError) -> EnvelopePlan {
        try plan(allowing: EncodingOptions(offeredBy: capabilities))
    }

    /// Decides how to send this message to a server that allows `options` (what its EHLO
    /// offered, as `EncodingOptions(offeredBy:)` reads it).
    ///
    /// 8bit text parts are used when the server allows 8BITMIME (`BODY=8BITMIME` is declared);
    /// `SMTPUTF8` is declared when an address is not ASCII.
    /// - Throws: `smtpUTF8Required` naming the first non-ASCII address when the server does not
    ///   allow SMTPUTF8; the message cannot be sent there as it is.
    public func plan(allowing options: EncodingOptions) throws(MessageError) -> EnvelopePlan {
        var parameters: [String] = []
        if options.allow8Bit { parameters.append("BODY=8BITMIME") }
        if needsSMTPUTF8 {
            guard options.allowSMTPUTF8 else { throw smtpUTF8Refusal() }
            parameters.append("SMTPUTF8")
        }
        return EnvelopePlan(mailParameters: parameters, options: options)
    }

    /// The error for a server without SMTPUTF8, naming the first address that is not ASCII.
    private func smtpUTF8Refusal() -> MessageError {
        let fields: [(String, MailAddress?)] =
            [("From", from), ("Sender", sender), ("Return-Path", returnPath)]
            + to.enumerated().map { ("To[\($0)]", $1) } + cc.enumerated().map { ("Cc[\($0)]", $1) }
            + bcc.enumerated().map { ("Bcc[\($0)]", $1) } + replyTo.enumerated().map { ("Reply-To[\($0)]", $1) }
        let (field, address) = fields.first { $0.1?.needsSMTPUTF8 == true } ?? ("address", nil)
        return MessageError(
            .smtpUTF8Required, field: field,
            reason: "\"\(address?.address ?? "")\" is not ASCII and the server does not offer SMTPUTF8")
    }

    /// Sends the message in one mail transaction on an open connection (after EHLO, and
    /// STARTTLS/AUTH if wanted), through the connection's transaction engine
    /// (`SMTPConnection.send(_:next:beforeFinalDot:)`): MAIL FROM the envelope sender, RCPT TO
    /// every recipient (To, Cc, Bcc), pipelined when the server offers PIPELINING, DATA with the
    /// message streamed in chunks, and the final `.`.
    ///
    /// The whole message is checked before MAIL FROM, so an invalid one never opens a
    /// transaction. Recipients the server refuses are reported, not fatal, as long as one is
    /// accepted; when all are refused the transaction is reset and the first refusal thrown.
    /// If anything fails while the body is being sent, the connection is closed without the
    /// final `.`, so a partial message is never delivered.
    /// - Parameters:
    ///   - connection: an open connection that has seen EHLO.
    ///   - beforeFinalDot: called after the last body byte and before `.`; a queue marks the
    ///     request "delivery uncertain" here. An error it throws closes the connection without
    ///     the dot and is thrown.
    /// - Returns: the final reply and the accepted and refused recipients.
    /// - Throws: `MessageError` (invalid message, SMTPUTF8 not offered) or `SMTPError`: a refused
    ///   MAIL FROM, DATA or final dot, every recipient refused, or the connection failing.
    @discardableResult
    public func write(to connection: SMTPConnection, beforeFinalDot: () throws -> Void = {}) throws -> DeliveryReport {
        let recipients = envelopeRecipients
        if recipients.isEmpty {
            throw MessageError(.noRecipient, field: "To", reason: "the message has no recipient in To, Cc or Bcc")
        }
        let plan = try plan(for: connection.capabilities)
        try validate(options: plan.options)
        let encoderFailure = FailureBox()
        let content = MessageContent.stream { [self] (write: MessageContent.Writer) throws(SMTPError) -> Void in
            do {
                try encode(options: plan.options) { chunk in try write(chunk) }
            } catch let error as SMTPError {
                throw error
            } catch {
                encoderFailure.error = error
                throw SMTPError(.invalidArgument(field: "message", reason: "\(error)"))
            }
        }
        var hookFailure: (any Error)?
        let result = try connection.send(
            MailTransaction(
                envelope: Envelope(sender: envelopeSender, recipients: recipients, mailParameters: plan.mailParameters),
                content: content),
            beforeFinalDot: { _ in
                do { try beforeFinalDot() } catch {
                    hookFailure = error
                    return false
                }
                return true
            })
        func refusal(_ reply: Reply, step: String) -> SMTPError {
            let context = SMTPError.Context(host: connection.host, port: connection.port, step: step)
            return SMTPError(refusing: reply, context: context) ?? SMTPError(.permanentError(reply), context: context)
        }
        if !result.mailReply.isPositiveCompletion { throw refusal(result.mailReply, step: "mail") }
        let refused = result.refusedRecipients.map { RefusedRecipient(recipient: $0.recipient, error: refusal($0.reply, step: "rcpt")) }
        if let hookFailure { throw hookFailure }
        if let failure = result.failure { throw encoderFailure.error ?? failure }
        if result.acceptedRecipients.isEmpty, let first = refused.first { throw first.error }
        if let dataReply = result.dataReply, dataReply.code != 354 { throw refusal(dataReply, step: "open_data") }
        guard let reply = result.finalReply else {
            // The server closed the connection (421) before DATA.
            let last = result.recipientReplies.last?.reply ?? result.mailReply
            throw refusal(last, step: result.recipientReplies.isEmpty ? "mail" : "rcpt")
        }
        if !reply.isPositiveCompletion { throw refusal(reply, step: "close_data") }
        return DeliveryReport(reply: reply, accepted: result.acceptedRecipients, refused: refused)
    }

    /// Streams the message's bytes with `writeRawData` (after `openData`, before `closeData`), for
    /// callers that drive the transaction themselves.
    /// - Throws: `MessageError` or the connection's `SMTPError`.
    public func writeContent(to connection: SMTPConnection, options: EncodingOptions) throws {
        try encode(options: options) { chunk in try connection.writeRawData(chunk) }
    }
}

/// FailureBox carries an error out of a `@Sendable` closure run on the caller's thread.
private final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
}
