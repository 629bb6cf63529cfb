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

/// One request over the worker's open connection, through the library's mail transaction
/// engine (`SMTPConnection.send(_:next:beforeFinalDot:)`): the queue decides what to send and
/// writes the uncertain mark in the engine's hook right before the final dot.
extension SenderWorker {
    /// A request whose envelope the connection sent ahead, behind the previous message's final
    /// dot (`SMTPConnection.envelopeAhead`), kept as it was made so that it is not made twice.
    struct Ahead {
        let id: String
        let prepared: QueueSender.Prepared
    }

    /// Sends `delivery.request` on `connection` (set to nil when it cannot carry another
    /// message). The uncertain mark comes right before the request's own final dot; the next
    /// request's envelope, when it rides behind that dot, is kept in `ahead`.
    mutating func deliver(_ delivery: DeliveryRequest) -> DeliveryResult {
        let request = delivery.request
        let madeAhead = ahead.flatMap { $0.id == request.id ? $0.prepared : nil }
        ahead = nil
        guard let open = connection else { return .finished(.retry("no connection"), refused: nil) }
        let prepared: QueueSender.Prepared
        if let madeAhead {
            prepared = madeAhead
        } else {
            switch prepare(request, for: open) {
            case .success(let ready): prepared = ready
            case .failure(let failure): return .finished(.failed(failure.text), refused: nil)
            }
        }
        // The next request's envelope rides behind this final dot (one round trip per message);
        // one that cannot be made is left for its own turn.
        var following: Ahead?
        if let next = delivery.next, open.capabilities?.pipelining == true, case .success(let ready) = prepare(next, for: open) {
            following = Ahead(id: next.id, prepared: ready)
        }
        let result: MailResult
        do throws(SMTPError) {
            // Marked uncertain right before the final dot; without the mark (the claim is lost,
            // or the mark could not be written) the dot is withheld and the server discards it.
            result = try open.send(prepared.transaction, next: following?.prepared.transaction) { _ in
                markUncertain(request.id)
            }
        } catch {
            // MAIL FROM was not answered: nothing of the message was delivered. An envelope
            // refused before anything was written leaves the connection as it was.
            if error.code != .invalidArgument { open.closeConnection() }
            if open.isClosed { connection = nil }
            return .finished(DeliveryOutcome.of(error, step: "MAIL FROM"), refused: nil)
        }
        if SMTPError(refusing: result.mailReply) != nil, open.capabilities?.pipelining != true, !open.isClosed {
            // A refused MAIL FROM one step at a time: reset, as the queue always has, so that
            // nothing the server kept of it reaches the next request.
            _ = try? open.rset()
        }
        if open.isClosed { connection = nil }
        if result.isWithheld { return .claimLost }
        if let following, open.envelopeAhead == following.prepared.envelope { ahead = following }
        return .finished(DeliveryOutcome.of(result, recipients: prepared.envelope.recipients.count),
                         refused: DeliveryOutcome.refusedRecipients(in: result))
    }

    /// Made ready by the batch's preparer thread when there is one (and it encoded for what
    /// `open` offers), else here.
    func prepare(_ request: StoredRequest, for open: SMTPConnection) -> Result<QueueSender.Prepared, DeliveryFailure> {
        let encoding = EncodingOptions(offeredBy: open.capabilities)
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
}
