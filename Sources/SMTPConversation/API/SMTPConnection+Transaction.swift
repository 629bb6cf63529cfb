/// The mail transaction engine: one message (envelope and content) from MAIL FROM to the reply
/// to its final dot, pipelined where the server allows it. `sendMail`, `sendMails`,
/// MailMessage's `write(to:)`, smtp-bench and the queue's sender all send through it.
extension SMTPConnection {
    /// envelopeAhead is the envelope `send(_:next:beforeFinalDot:)` wrote behind the last
    /// message's final dot (or RSET) whose replies are still unread: the message that must be
    /// sent next on this connection. Nil when none is waiting.
    public var envelopeAhead: Envelope? { isClosed ? nil : ahead }

    /// Sends one message in one mail transaction: MAIL FROM, every RCPT TO, DATA, the content
    /// and the final dot, and returns every reply.
    ///
    /// When the server offers PIPELINING (RFC 2920) MAIL, the RCPTs and DATA go out in one
    /// write, and `next`'s envelope goes out behind this message's final dot (RFC 2920 lets
    /// message content open a group), so a run of messages costs one round trip each. The
    /// connection then expects `next` to be the message of the following call (`envelopeAhead`).
    /// Without PIPELINING the steps go one at a time and `next` is ignored.
    ///
    /// `beforeFinalDot` is called exactly once per message that reaches its final dot, after
    /// every other byte of the message was handed to the connection (a message given as
    /// bytes is encoded but not yet written) and right before the dot: a queue marks the
    /// request "delivery uncertain" there. Returning false withholds the dot: the connection is
    /// closed without it, so the server discards the message (`isWithheld`). It is not called
    /// when no recipient was accepted or DATA was refused.
    ///
    /// Refused steps are in the result, not thrown: a refused MAIL, refused recipients (the
    /// message goes to the others), a refused DATA or final dot. A transaction that ends before
    /// its message is reset (RSET) so the connection can carry the next one. A failure after
    /// MAIL FROM was answered (the connection lost, a timeout, a malformed reply, a content
    /// source that failed) closes the connection and is in `failure`; when it came after the
    /// final dot was written, `isOutcomeKnown` is false.
    /// - Parameters:
    ///   - mail: the message.
    ///   - next: the message the caller sends next on this connection, if it knows it.
    ///   - beforeFinalDot: the hook before the final dot, given the replies so far.
    /// - Returns: the replies and the outcome.
    /// - Throws: before MAIL FROM was answered (nothing of the message was delivered):
    ///   `invalidArgument` (no recipient, a line break in an address, a content file that
    ///   cannot be opened) and `invalidOperation` (not in a session, another envelope sent ahead)
    ///   with nothing written; network, timeout and protocol errors with the connection closed.
    public func send(_ mail: MailTransaction, next: MailTransaction? = nil,
                     beforeFinalDot: (MailResult) -> Bool = { _ in true }) throws(SMTPError) -> MailResult {
        if isClosed { ahead = nil }
        let sentAhead = ahead != nil
        if let ahead, ahead != mail.envelope {
            throw SMTPError(.invalidOperation(
                "the envelope of another message (MAIL FROM:<\(ahead.sender)>) went out behind the last final dot;"
                    + " send that message next"), context: context("mail"))
        }
        ahead = nil
        var file: MessageFile?
        var contentFailure: SMTPError?
        do throws(SMTPError) {
            // The envelope's commands are checked as they are rendered (`rendered`, all or none).
            if !sentAhead { try mail.envelope.checkRecipients() }
            if case .file(let path) = mail.content.source { file = try MessageFile(path: path) }
        } catch {
            // Sent ahead, the envelope is out already: its replies are read and the
            // transaction is ended without a message below.
            guard sentAhead else { throw error.filling(context("mail")) }
            contentFailure = error.filling(context("write_raw_data"))
        }
        var result = try envelopeReplies(mail.envelope, sentAhead: sentAhead)
        guard result.failure == nil, !isClosed else { return result }
        var following = next.flatMap { conversation.canPipeline && $0.canGoAhead ? $0 : nil }
        guard result.reachedMessage else {
            endWithoutMessage(&result, following: following)
            return result
        }
        if let contentFailure {
            lose()
            result.failure = contentFailure
            return result
        }
        let ending: [UInt8]
        do throws(SMTPError) {
            var bytes = try encodeContent(mail.content, file: file)
            bytes += try conversation.endOfData()
            ending = bytes
        } catch {
            // Without the final dot the server discards what it received.
            lose()
            result.failure = error.filling(context("write_raw_data"))
            return result
        }
        guard beforeFinalDot(result) else {
            lose()
            result.isWithheld = true
            return result
        }
        // The next envelope rides behind the dot when it renders; one that cannot (a line break
        // in an address) is left out, and the dot goes alone.
        let pending: PendingWrite
        if let next = following, let ahead = try? rendered(next.envelope.commands, prefix: ending, step: "mail") {
            pending = ahead
        } else {
            following = nil
            pending = PendingWrite(conversation: conversation, bytes: ending, lines: [])
        }
        emit(.sentData(ending))
        do throws(SMTPError) {
            try write(pending, step: "close_data")
            result.finalReply = try readReply(step: "close_data")
        } catch {
            lose()
            result.failure = error
            result.isOutcomeKnown = false
            return result
        }
        if let following, !isClosed { ahead = following.envelope }
        return result
    }

    /// Writes the envelope (unless it went out ahead) and reads its replies; a failure closes
    /// the connection.
    /// - Throws: when the reply to MAIL FROM could not be read; later failures are the
    ///   result's `failure`.
    private func envelopeReplies(_ envelope: Envelope, sentAhead: Bool) throws(SMTPError) -> MailResult {
        let outstanding = conversation.outstandingSteps.count
        let result: MailResult
        do throws(SMTPError) {
            result = try readEnvelope(envelope, sentAhead: sentAhead)
        } catch {
            // Replies are due that will never be read (a command refused before it was written,
            // e.g. outside a session, leaves nothing due and the connection as it was).
            if sentAhead || conversation.outstandingSteps.count > outstanding { lose() }
            throw error
        }
        if result.failure != nil { lose() }
        return result
    }

    /// Writes the envelope (unless it went out ahead) and reads its replies: in one group with
    /// PIPELINING, else one step at a time, stopping at the first step that makes the rest
    /// pointless (MAIL refused, no recipient accepted).
    /// - Throws: when the reply to MAIL FROM could not be read; a failure after it is the
    ///   result's `failure` (the connection is left as the failure left it).
    func readEnvelope(_ envelope: Envelope, sentAhead: Bool) throws(SMTPError) -> MailResult {
        let pipelined = sentAhead || conversation.canPipeline
        var result: MailResult
        if pipelined {
            if !sentAhead { try write(envelope.commands, step: "mail") }
            result = MailResult(mailReply: try readReply(step: "mail"))
        } else {
            result = MailResult(mailReply: try exchange(
                .mail(from: envelope.sender, parameters: envelope.mailParameters), step: "mail", raising: false))
            guard result.mailReply.isPositiveCompletion else { return result }
        }
        do throws(SMTPError) {
            for recipient in envelope.recipients {
                guard !isClosed else { return result }
                let reply = pipelined ? try readReply(step: "rcpt")
                    : try exchange(.rcpt(to: recipient, parameters: envelope.recipientParameters), step: "rcpt", raising: false)
                result.recipientReplies.append((recipient, reply))
            }
            guard !isClosed, pipelined || !result.acceptedRecipients.isEmpty else { return result }
            result.dataReply = pipelined ? try readReply(step: "data") : try exchange(.data, step: "data", raising: false)
        } catch {
            result.failure = error
        }
        return result
    }

    /// Ends a transaction that will carry no message with RSET when a transaction may be open,
    /// so the connection can carry the next one; with PIPELINING `following`'s envelope rides
    /// behind it. A server that answered DATA with 354 although it accepted no recipient
    /// (RFC 2920 says 554) waits for a message no one may send: the connection is closed.
    private func endWithoutMessage(_ result: inout MailResult, following: MailTransaction?) {
        let pipelined = conversation.canPipeline
        var following = following
        do throws(SMTPError) {
            if result.dataReply?.code == 354 {
                throw SMTPError(
                    .malformedReply("DATA was answered 354 although no recipient was accepted"), context: context("data"))
            } else if pipelined || result.mailReply.isPositiveCompletion {
                // The next envelope rides behind RSET when it renders; else RSET goes alone.
                let reset: PendingWrite
                if let next = following, let both = try? rendered([.rset] + next.envelope.commands, prefix: [], step: "rset") {
                    reset = both
                } else {
                    following = nil
                    reset = try rendered([.rset], prefix: [], step: "rset")
                }
                try write(reset, step: "rset")
                _ = try readReply(step: "rset")
            } else {
                return
            }
        } catch {
            lose()
            result.failure = error
            return
        }
        if let following, !isClosed { ahead = following.envelope }
    }

    /// The content dot-stuffed, with every byte but the last up to 64 KiB written: a message
    /// given as bytes is encoded whole and written with its final dot, in one write.
    private func encodeContent(_ content: MessageContent, file: MessageFile?) throws(SMTPError) -> [UInt8] {
        let flushSize = 1 << 16
        var pending: [UInt8] = []
        func add(_ chunk: [UInt8]) throws(SMTPError) {
            pending += try conversation.body(chunk)
            guard pending.count >= flushSize else { return }
            emit(.sentData(pending))
            try writeBytes(pending, step: "write_raw_data")
            pending.removeAll(keepingCapacity: true)
        }
        switch content.source {
        case .bytes(let bytes):
            return try conversation.body(bytes)
        case .stream(let produce):
            try produce { chunk throws(SMTPError) in try add(chunk) }
        case .file:
            guard let file else { break }
            while true {
                let chunk = try file.read(max: flushSize)
                if chunk.isEmpty { break }
                try add(chunk)
            }
        }
        return pending
    }
}

extension MailTransaction {
    /// True when the envelope may go out ahead, behind the previous message's final dot: it has
    /// a recipient and a content file can be opened (its commands are checked as they are
    /// rendered, right before the dot).
    var canGoAhead: Bool {
        guard (try? envelope.checkRecipients()) != nil else { return false }
        if case .file(let path) = content.source { return (try? MessageFile(path: path)) != nil }
        return true
    }
}
