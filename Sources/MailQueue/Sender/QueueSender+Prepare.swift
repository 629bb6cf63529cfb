import MailMessage
import SMTPConversation

/// A request made ready for a server: its envelope and its encoded message, or why it can never
/// be sent to that server.
extension QueueSender {
    /// A request made ready to send: its envelope and its message, encoded for the server.
    struct Prepared: Sendable {
        let envelope: Envelope
        /// The whole message (the queue's limits, 2 MiB of attachments by default, keep it
        /// small), so that its end and the final dot leave in one write after the mark.
        let encoded: [UInt8]

        /// The message as the library's mail transaction engine sends it.
        var transaction: MailTransaction { MailTransaction(envelope: envelope, content: .bytes(encoded)) }
    }

    /// Builds `request`'s message and encodes it for a server that allows `encoding`, with the
    /// MAIL parameters MailMessage's plan (`plan(allowing:)`) declares for it.
    /// - Returns: the message ready to send, or why it can never be sent there.
    static func prepare(_ request: StoredRequest, encoding: EncodingOptions) -> Result<Prepared, DeliveryFailure> {
        if let raw = request.raw { return prepareRaw(request, content: raw, encoding: encoding) }
        var encoded: [UInt8] = []
        let message: MailMessage, plan: EnvelopePlan
        do {
            message = try MessageBuilder.message(for: request)
            plan = try message.plan(allowing: encoding)
            try message.encode(options: plan.options) { chunk in encoded.append(contentsOf: chunk) }
        } catch {
            return .failure(DeliveryFailure("message: \(error)"))
        }
        let envelope = Envelope(sender: message.envelopeSender, recipients: message.envelopeRecipients,
                                mailParameters: plan.mailParameters)
        return .success(Prepared(envelope: envelope, encoded: encoded))
    }

    /// A raw message goes out byte for byte (the connection dot-stuffs it); only the MAIL
    /// parameters its content needs are added, and a server that cannot take that content is a
    /// permanent failure, not a converted message.
    static func prepareRaw(_ request: StoredRequest, content: [UInt8], encoding: EncodingOptions)
        -> Result<Prepared, DeliveryFailure>
    {
        var parameters: [String] = []
        if content.contains(where: { $0 >= 0x80 }) {
            guard encoding.allow8Bit else {
                return .failure(DeliveryFailure("message: the content has 8-bit octets and the server does not offer 8BITMIME"))
            }
            parameters.append("BODY=8BITMIME")
        }
        let addresses = [request.from] + request.recipients.map(\.address)
        let addressesNeedUTF8 = addresses.contains { $0.utf8.contains { $0 >= 0x80 } }
        if addressesNeedUTF8 && !encoding.allowSMTPUTF8 {
            return .failure(DeliveryFailure("message: an address is not ASCII and the server does not offer SMTPUTF8"))
        }
        // UTF-8 headers (RFC 6532) ask for SMTPUTF8 where the server offers it.
        if encoding.allowSMTPUTF8 && (addressesNeedUTF8 || RawMessage.headerSection(of: content).contains { $0 >= 0x80 }) {
            parameters.append("SMTPUTF8")
        }
        let envelope = Envelope(sender: request.from, recipients: request.recipients.map(\.address), mailParameters: parameters)
        return .success(Prepared(envelope: envelope, encoded: content))
    }

}
