import Dispatch
import MailMessage
import SMTPConversation

/// The steps of one request of a batch: its turn, the claims, the connection, the read, the
/// delivery and its record.
extension SenderWorker {
    /// Sends the request at `index` of `batch` and records its outcome.
    /// - Returns: what the loop does next.
    mutating func sendOne(at index: Int, of batch: inout Batch) throws(QueueError) -> Next {
        let id = batch.ids[index]
        dropStrayAhead(before: id)
        // A request whose envelope is out is in flight: it is finished first.
        if stop.isStopped && connection?.envelopeAhead == nil {
            try store.release(Array(batch.ids[index...]), owner: owner)
            return .stop
        }
        options.metrics?.beat()
        try renewClaims(of: &batch, from: index)
        retireUsedConnection()
        if let next = try ensureConnection(for: batch, from: index) { return next }
        try load(&batch, from: index)
        guard let details = batch.loaded.removeValue(forKey: id) else {
            logger.warning("a claimed request is gone from the database", metadata: ["id": "\(id)"])
            return .proceed
        }
        let request = DeliveryRequest(request: details.request, next: following(index, in: batch))
        // The rate's slot is taken last, right before MAIL: a slow connect or read between the
        // slot and the message would let messages bunch up in a minute.
        guard paceSend() || connection?.envelopeAhead != nil else {
            // A stop during the wait: the slot was not reached, the message is not sent.
            try store.release(Array(batch.ids[index...]), owner: owner)
            return .stop
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let result = deliver(request)
        onConnection += 1
        switch result {
        case .claimLost:
            report.lost += 1
        case .finished(.configuration(let text), _):
            // 530 "authentication required" to MAIL: the settings lack AUTH, and every request
            // would be refused the same way. Nothing of this one was sent.
            logger.error("the server requires authentication", metadata: ["error": "\(TerminalText.escaped(text))"])
            dropConnection()
            try giveBack(batch.ids[index...], error: text)
            return .stop
        case .finished(let outcome, let refused):
            options.metrics?.observeSend(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            try record(outcome, id: id, attempts: details.attempts, refused: refused, details: details)
        }
        return .proceed
    }

    /// Never expected: an envelope sent ahead (`SMTPConnection.envelopeAhead`) for a request
    /// other than `id`. Without its final dot the server drops that transaction with the
    /// connection.
    mutating func dropStrayAhead(before id: String) {
        guard let pending = connection?.envelopeAhead else {
            ahead = nil
            return
        }
        if ahead?.id != id || ahead?.prepared.envelope != pending { dropConnection() }
    }

    /// Renews the claims on the rest of the batch once half the lease has passed.
    mutating func renewClaims(of batch: inout Batch, from index: Int) throws(QueueError) {
        guard store.now() >= batch.renewAt else { return }
        try store.renew(Array(batch.ids[index...]), owner: owner, leaseMillis: options.leaseMillis)
        batch.renewAt = store.now() + options.leaseMillis / 2
    }

    /// Closes a connection that has carried `messagesPerConnection` messages.
    mutating func retireUsedConnection() {
        if let limit = sender.session.settings.messagesPerConnection, onConnection >= limit { quitConnection() }
    }

    /// Opens a connection when there is none.
    /// - Returns: nil when a connection is open; else what the loop does next, the rest of the
    ///   batch given back (a permanent error: configuration) or put back for a retry.
    mutating func ensureConnection(for batch: Batch, from index: Int) throws(QueueError) -> Next? {
        guard connection == nil else { return nil }
        do throws(SMTPError) {
            connection = try sender.session.open()
            onConnection = 0
            options.metrics?.connection(succeeded: true)
            return nil
        } catch {
            options.metrics?.connection(succeeded: false)
            // Not this request's fault: every claimed one goes back with the error.
            let text = "connect: \(error.reply?.singleLine ?? error.description)"
            logger.error("cannot open an SMTP session", metadata: ["error": "\(TerminalText.escaped("\(text)"))"])
            let rest = batch.ids[index...]
            if error.isPermanent {
                // A configuration error (cleartext AUTH refused, TLS required but not offered,
                // credentials refused, the server refusing us): no retry fixes it, so no
                // attempt is spent on it.
                try giveBack(rest, error: text)
                return .stop
            }
            for id in rest {
                var attempts = batch.loaded[id]?.attempts ?? 0
                if batch.loaded[id] == nil { attempts = try store.details([id], byteBudget: 0).first?.attempts ?? 0 }
                try record(.retry(text), id: id, attempts: attempts)
            }
            if options.once { return .stop }
            stop.wait(seconds: options.idlePollSeconds)
            return .endBatch
        }
    }

    /// Reads the requests from `index` on when the one at `index` is not read yet (as many as
    /// `QueueSender.batchByteBudget` allows), and starts a preparer for them when it pays.
    mutating func load(_ batch: inout Batch, from index: Int) throws(QueueError) {
        guard batch.loaded[batch.ids[index]] == nil else { return }
        let read = try store.details(batch.ids[index...], byteBudget: QueueSender.batchByteBudget)
        for details in read { batch.loaded[details.request.id] = details }
        dropPreparer()
        if prepareAhead, read.count > 1, let open = connection {
            preparer = Preparer(requests: read.map(\.request), encoding: EncodingOptions(offeredBy: open.capabilities))
        }
    }

    /// The request that rides behind the final dot of the one at `index`: the next one, when it
    /// is read already and nothing (pacing, the per-connection limit, a stop) comes between.
    func following(_ index: Int, in batch: Batch) -> StoredRequest? {
        guard !isPaced, !stop.isStopped, index + 1 < batch.ids.count,
              sender.session.settings.messagesPerConnection.map({ onConnection + 1 < $0 }) ?? true
        else { return nil }
        return batch.loaded[batch.ids[index + 1]]?.request
    }
}
