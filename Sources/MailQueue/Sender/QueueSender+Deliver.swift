import MailMessage
import SMTPConversation

/// One request over an open connection: the envelope (pipelined where offered), the body,
/// the uncertain mark, then the final dot; each failure mapped to its outcome.
extension QueueSender {
    /// A request made ready to send: its envelope and its message, encoded for the server.
    struct Prepared: Sendable {
        let envelope: Envelope
        /// The whole message (the queue's limits, 2 MiB of attachments by default, keep it
        /// small), so that its end and the final dot leave in one write after the mark.
        let encoded: [UInt8]
    }

    /// A request whose envelope (MAIL, RCPT, DATA) went out behind the previous message's
    /// final dot; its replies are the next ones on the connection.
    struct Ahead {
        let id: String
        let prepared: Prepared
    }

    /// What a server with `capabilities` lets a message use.
    static func encoding(for capabilities: Capabilities?) -> EncodingOptions {
        EncodingOptions(allow8Bit: capabilities?.eightBitMIME ?? false, allowSMTPUTF8: capabilities?.smtpUTF8 ?? false)
    }

    /// Builds `request`'s message and encodes it with `encoding`.
    /// - Returns: the message ready to send, or why it can never be sent.
    static func prepare(_ request: StoredRequest, encoding: EncodingOptions) -> Result<Prepared, DeliveryFailure> {
        if let raw = request.raw { return prepareRaw(request, content: raw, encoding: encoding) }
        let message: MailMessage
        do { message = try MessageBuilder.message(for: request) } catch { return .failure(DeliveryFailure("message: \(error)")) }
        var parameters: [String] = []
        if encoding.allow8Bit { parameters.append("BODY=8BITMIME") }
        if message.needsSMTPUTF8 {
            guard encoding.allowSMTPUTF8 else {
                return .failure(DeliveryFailure("message: an address is not ASCII and the server does not offer SMTPUTF8"))
            }
            parameters.append("SMTPUTF8")
        }
        var encoded: [UInt8] = []
        do {
            try message.encode(options: encoding) { chunk in encoded.append(contentsOf: chunk) }
        } catch {
            return .failure(DeliveryFailure("message: \(error)"))
        }
        let envelope = Envelope(sender: message.envelopeSender, recipients: message.envelopeRecipients, mailParameters: parameters)
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

    /// Sends one request on `connection` (reopened by the caller when set to nil).
    ///
    /// With PIPELINING, `next` (the request the caller sends after this one on the same
    /// connection) has its envelope written behind this one's final dot, and is returned in
    /// `ahead`: the caller passes it back with that request. The uncertain mark still comes
    /// right before each request's own final dot.
    /// - Returns: the outcome and the refused recipients, or nil when the claim was lost.
    func deliver(_ request: StoredRequest, next: StoredRequest?, ahead: inout Ahead?, on connection: inout SMTPConnection?,
                 store: QueueStore, owner: String, sent: inout [SentMark], preparer: Preparer? = nil)
        throws(QueueError) -> (DeliveryOutcome, String?)?
    {
        // Made ready by the batch's preparer thread when there is one (and it encoded for what
        // this connection offers), else here.
        func prepare(_ request: StoredRequest, for open: SMTPConnection) -> Result<Prepared, DeliveryFailure> {
            let encoding = Self.encoding(for: open.capabilities)
            if let preparer, preparer.encoding == encoding, let ready = preparer.take(request.id) { return ready }
            return Self.prepare(request, encoding: encoding)
        }
        let sentAhead = ahead.flatMap { $0.id == request.id ? $0.prepared : nil }
        ahead = nil
        guard let open = connection else { return (.retry("no connection"), nil) }
        let prepared: Prepared
        if let sentAhead {
            prepared = sentAhead
        } else {
            switch prepare(request, for: open) {
            case .success(let ready): prepared = ready
            case .failure(let failure): return (.failed(failure.text), nil)
            }
        }
        var step = "MAIL FROM"
        var refusedText: [String] = []
        var inData = false
        var databaseError: QueueError?
        defer { if let databaseError { logger.error("cannot mark a request", metadata: ["id": "\(request.id)", "error": "\(TerminalText.escaped("\(databaseError)"))"]) } }
        do throws(SMTPError) {
            // MAIL, RCPT and DATA in one write when the server offers PIPELINING; the body and
            // the final dot stay ours, so the request is marked uncertain before the dot.
            let envelope = sentAhead != nil ? try open.envelopeReplies(for: prepared.envelope)
                : try open.beginMail(from: prepared.envelope.sender, to: prepared.envelope.recipients,
                                     mailParameters: prepared.envelope.mailParameters)
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
            // The next request's envelope rides behind this final dot (one round trip per
            // message), made before the mark so that nothing slow comes between the mark and
            // the dot; one that cannot be built is left for its own turn.
            var following: Ahead?
            if let next, open.capabilities?.pipelining == true, case .success(let ready) = prepare(next, for: open) {
                following = Ahead(id: next.id, prepared: ready)
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
                let (reply, began) = try open.closeData(after: prepared.encoded, beginning: following?.prepared.envelope)
                if began && !open.isClosed { ahead = following }
                try Self.raiseIfRefused(reply)
            } catch {
                if DeliveryOutcome.connectionLost(error, connection: open) { open.closeConnection(); connection = nil }
                if error.code == .invalidArgument {
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
        if let refused = SMTPError(refusing: reply) { throw refused }
    }
}
