import MailMessage
import SMTPConversation

/// DeliveryRequest is what a worker is asked to send now: a request, and the one whose envelope
/// may ride behind its final dot.
struct DeliveryRequest {
    /// The request to send.
    let request: StoredRequest
    /// The request sent next on the same connection: with PIPELINING its envelope is written
    /// behind `request`'s final dot. Nil when nothing may follow (pacing, a limit, a stop).
    let next: StoredRequest?
}

/// DeliveryResult is what became of a `DeliveryRequest`.
enum DeliveryResult: Equatable {
    /// The attempt ended with `outcome`; `refused` lists the recipients the server refused, one
    /// per line.
    case finished(DeliveryOutcome, refused: String?)
    /// Another sender holds the request now, or its uncertain mark could not be written: no
    /// final dot was sent, and nothing is recorded (the claim's lease expires).
    case claimLost
}

/// One request over the worker's open connection: the envelope (pipelined where offered), the
/// uncertain mark, then the body and the final dot; each failure mapped to its outcome.
extension SenderWorker {
    /// A request whose envelope (MAIL, RCPT, DATA) went out behind the previous message's final
    /// dot; its replies are the next ones on the connection.
    struct Ahead {
        let id: String
        let prepared: QueueSender.Prepared
    }

    /// Sends `delivery.request` on `connection` (set to nil when it cannot carry another
    /// message). The uncertain mark comes right before the request's own final dot; the next
    /// request's envelope, when it rides behind that dot, is kept in `ahead`.
    mutating func deliver(_ delivery: DeliveryRequest) -> DeliveryResult {
        let request = delivery.request
        let pipelined = ahead.flatMap { $0.id == request.id ? $0.prepared : nil }
        ahead = nil
        guard let open = connection else { return .finished(.retry("no connection"), refused: nil) }
        let prepared: QueueSender.Prepared
        if let pipelined {
            prepared = pipelined
        } else {
            switch prepare(request, for: open) {
            case .success(let ready): prepared = ready
            case .failure(let failure): return .finished(.failed(failure.text), refused: nil)
            }
        }
        // MAIL, RCPT and DATA in one write when the server offers PIPELINING; the body and the
        // final dot stay ours, so the request is marked uncertain before the dot.
        let replies: MailResult
        do throws(SMTPError) {
            replies = pipelined != nil ? try open.envelopeReplies(for: prepared.envelope)
                : try open.beginMail(from: prepared.envelope.sender, to: prepared.envelope.recipients,
                                     mailParameters: prepared.envelope.mailParameters)
            try Self.raiseIfRefused(replies.mailReply)
        } catch {
            return abandon(open, error, step: "MAIL FROM", refused: nil)
        }
        let refusedLines = replies.recipientReplies.filter { !$0.reply.isPositiveCompletion }
            .map { "\($0.recipient): \($0.reply.singleLine)" }
        let refused = refusedLines.isEmpty ? nil : refusedLines.joined(separator: "\n")
        if replies.acceptedRecipients.isEmpty {
            if !open.isClosed { _ = try? open.rset() }
            let text = "RCPT TO: every recipient refused: " + refusedLines.joined(separator: "; ")
            let transient = replies.recipientReplies.contains { !$0.reply.isPositiveCompletion && $0.reply.code < 500 }
            return .finished(transient ? .retry(text) : .failed(text), refused: refused)
        }
        do throws(SMTPError) {
            guard let dataReply = replies.dataReply, dataReply.code == 354 else {
                try Self.raiseIfRefused(replies.dataReply ?? Reply(554, "no reply to DATA"))
                throw SMTPError(.malformedReply("DATA was answered \(replies.dataReply?.singleLine ?? "nothing"), not 354"))
            }
        } catch {
            return abandon(open, error, step: "DATA", refused: refused)
        }
        // The next request's envelope rides behind this final dot (one round trip per message),
        // made before the mark so that nothing slow comes between the mark and the dot; one that
        // cannot be built is left for its own turn.
        var following: Ahead?
        if let next = delivery.next, open.capabilities?.pipelining == true, case .success(let ready) = prepare(next, for: open) {
            following = Ahead(id: next.id, prepared: ready)
        }
        guard markUncertain(request.id) else {
            // Never send our final dot: the request stays claimed until its lease expires.
            open.closeConnection()
            connection = nil
            return .claimLost
        }
        return finishData(open, prepared, following: following, refused: refused)
    }

    /// Made ready by the batch's preparer thread when there is one (and it encoded for what
    /// `open` offers), else here.
    func prepare(_ request: StoredRequest, for open: SMTPConnection) -> Result<QueueSender.Prepared, DeliveryFailure> {
        let encoding = QueueSender.encoding(for: open.capabilities)
        if let preparer, preparer.encoding == encoding, let ready = preparer.take(request.id) { return ready }
        return QueueSender.prepare(request, encoding: encoding)
    }

    /// Marks `id` uncertain, writing the pending sent marks with it.
    /// - Returns: false when another sender holds the request now, or the mark could not be
    ///   written (logged).
    mutating func markUncertain(_ id: String) -> Bool {
        do {
            let marked = try store.markUncertain(id, owner: owner, recordingSent: sent)
            sent.removeAll()
            return marked
        } catch {
            logger.error("cannot mark a request", metadata: ["id": "\(id)", "error": "\(TerminalText.escaped("\(error)"))"])
            return false
        }
    }

    /// Writes the rest of the message and the final dot (with `following`'s envelope behind it)
    /// and reads the reply: the only step after which a lost reply leaves the outcome uncertain.
    private mutating func finishData(_ open: SMTPConnection, _ prepared: QueueSender.Prepared, following: Ahead?,
                                     refused: String?) -> DeliveryResult {
        do throws(SMTPError) {
            let (reply, began) = try open.closeData(after: prepared.encoded, beginning: following?.prepared.envelope)
            if began && !open.isClosed { ahead = following }
            try Self.raiseIfRefused(reply)
            return .finished(.sent, refused: refused)
        } catch {
            if DeliveryOutcome.connectionLost(error, connection: open) {
                open.closeConnection()
                connection = nil
            }
            if error.code == .invalidArgument {
                // Refused before anything was written (a bare CR): not delivered.
                open.closeConnection()
                connection = nil
                return .finished(.failed("message: \(error)"), refused: refused)
            }
            return .finished(DeliveryOutcome.of(error, step: "final dot", afterFinalDot: true), refused: refused)
        }
    }

    /// Ends a transaction that failed before its body: the connection is dropped when it is
    /// lost, else the transaction is reset for the next request.
    private mutating func abandon(_ open: SMTPConnection, _ error: SMTPError, step: String, refused: String?) -> DeliveryResult {
        if DeliveryOutcome.connectionLost(error, connection: open) {
            open.closeConnection()
            connection = nil
        } else {
            _ = try? open.rset()
            if open.isClosed { connection = nil }
        }
        return .finished(DeliveryOutcome.of(error, step: step), refused: refused)
    }

    /// Throws the reply as the error `SMTPConnection`'s procedure form would, when it is a 4xx/5xx.
    static func raiseIfRefused(_ reply: Reply) throws(SMTPError) {
        if let refused = SMTPError(refusing: reply) { throw refused }
    }
}
