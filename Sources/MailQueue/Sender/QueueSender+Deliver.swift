import MailMessage
import SMTPConversation

/// One request over an open connection: the envelope (pipelined where offered), the body,
/// the uncertain mark, then the final dot; each failure mapped to its outcome.
extension QueueSender {
    /// Sends one request on `connection` (reopened by the caller when set to nil).
    /// - Returns: the outcome and the refused recipients, or nil when the claim was lost.
    func deliver(_ request: StoredRequest, on connection: inout SMTPConnection?, store: QueueStore, owner: String,
                 sent: inout [SentMark]) throws(QueueError) -> (DeliveryOutcome, String?)?
    {
        guard let open = connection else { return (.retry("no connection"), nil) }
        let message: MailMessage
        do { message = try MessageBuilder.message(for: request) } catch { return (.failed("message: \(error)"), nil) }
        let capabilities = open.capabilities
        let encoding = EncodingOptions(allow8Bit: capabilities?.eightBitMIME ?? false,
                                       allowSMTPUTF8: capabilities?.smtpUTF8 ?? false)
        var parameters: [String] = []
        if encoding.allow8Bit { parameters.append("BODY=8BITMIME") }
        if message.needsSMTPUTF8 {
            guard encoding.allowSMTPUTF8 else {
                return (.failed("message: an address is not ASCII and the server does not offer SMTPUTF8"), nil)
            }
            parameters.append("SMTPUTF8")
        }
        var step = "MAIL FROM"
        var refusedText: [String] = []
        var inData = false
        var databaseError: QueueError?
        defer { if let databaseError { logger.error("cannot mark a request", metadata: ["id": "\(request.id)", "error": "\(databaseError)"]) } }
        do throws(SMTPError) {
            // MAIL, RCPT and DATA in one write when the server offers PIPELINING; the body and
            // the final dot stay ours, so the request is marked uncertain before the dot.
            let envelope = try open.beginMail(from: message.envelopeSender, to: message.envelopeRecipients, mailParameters: parameters)
            try Self.raiseIfRefused(envelope.mailReply)
            step = "RCPT TO"
            var accepted = 0
            var transientRefusal = false
            for (recipient, reply) in envelope.recipientReplies {
                if reply.isPositiveCompletion {
                    accepted += 1
                } else {
                    refusedText.append("\(recipient): \(reply.singleLine)")
                    if reply.code < 500 { transientRefusal = true }
                }
            }
            let refused = refusedText.isEmpty ? nil : refusedText.joined(separator: "\n")
            if accepted == 0 {
                if !open.isClosed { _ = try? open.rset() }
                let text = "RCPT TO: every recipient refused: " + refusedText.joined(separator: "; ")
                return (transientRefusal ? .retry(text) : .failed(text), refused)
            }
            step = "DATA"
            guard let dataReply = envelope.dataReply, dataReply.code == 354 else {
                try Self.raiseIfRefused(envelope.dataReply ?? Reply(554, "no reply to DATA"))
                throw SMTPError(.malformedReply("DATA was answered \(envelope.dataReply?.singleLine ?? "nothing"), not 354"))
            }
            inData = true
            step = "message body"
            // The whole body in memory (the queue's limits, 2 MiB of attachments by default,
            // keep it small), so that it and the final dot leave in one write after the mark.
            var encoded: [UInt8] = []
            do {
                try message.encode(options: encoding) { chunk in encoded.append(contentsOf: chunk) }
            } catch {
                // Without the final dot the server discards what it received.
                open.closeConnection()
                connection = nil
                return (.failed("message: \(error)"), refused)
            }
            var marked = false
            do {
                marked = try store.markUncertain(request.id, owner: owner, recordingSent: sent)
                sent.removeAll()
            } catch { databaseError = error }
            guard marked else {
                // Another sender holds the request now, or the mark could not be written:
                // never send our final dot. The request stays claimed until its lease expires.
                open.closeConnection()
                connection = nil
                return nil
            }
            step = "final dot"
            do throws(SMTPError) {
                try open.closeData(after: encoded)
            } catch {
                if DeliveryOutcome.connectionLost(error, connection: open) { open.closeConnection(); connection = nil }
                if case .invalidArgument = error.kind {
                    // Refused before anything was written (a bare CR): not delivered.
                    open.closeConnection()
                    connection = nil
                    return (.failed("message: \(error)"), refused)
                }
                return (DeliveryOutcome.of(error, step: step, afterFinalDot: true), refused)
            }
            return (.sent, refused)
        } catch {
            if inData || DeliveryOutcome.connectionLost(error, connection: open) {
                open.closeConnection()
                connection = nil
            } else {
                _ = try? open.rset()
                if open.isClosed { connection = nil }
            }
            return (DeliveryOutcome.of(error, step: step), refusedText.isEmpty ? nil : refusedText.joined(separator: "\n"))
        }
    }

    /// Throws the reply as the error `SMTPConnection`'s procedure form would, when it is a 4xx/5xx.
    static func raiseIfRefused(_ reply: Reply) throws(SMTPError) {
        if reply.isTransientFailure { throw SMTPError(.transientError(reply)) }
        if reply.isPermanentFailure { throw SMTPError(.permanentError(reply)) }
    }
}
