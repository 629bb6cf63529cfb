import Logging
import SMTPConversation

/// Writing down what became of a request.
extension SenderWorker {
    /// Gives claimed requests back after a configuration error: as they were (unsent, due as
    /// before, the attempt their claim counted undone), with `error` as the reason they wait.
    mutating func giveBack(_ ids: ArraySlice<String>, error: String) throws(QueueError) {
        try flush()
        try store.release(Array(ids), owner: owner, error: error)
        report.configurationError = error
        report.heldBack += ids.count
    }

    /// Records `outcome` for `id`, after `attempts` attempts (this one counted); `refused` lists
    /// the recipients the server refused. With `details` (the request as read), a relayed
    /// request refused for good gets its delivery status notification (`--bounce`).
    mutating func record(_ outcome: DeliveryOutcome, id: String, attempts: Int, refused: String? = nil,
                         details: RequestDetails? = nil) throws(QueueError) {
        if case .sent = outcome {
            sent.append(SentMark(id: id, refused: refused, bounce: refused.flatMap {
                sender.deliveryReport(for: id, details: details, error: $0, refused: $0, onlyRefused: true, store: store)
            }))
        } else {
            try flush()
        }
        options.metrics?.count(outcome, retried: options.retry.allowsAnother(afterAttempts: attempts))
        switch outcome {
        case .sent:
            report.sent += 1
            if let refused {
                report.partlyRefused += 1
                logger.warning("sent, but some recipients were refused",
                               metadata: requestMetadata(id, details, ["refused": "\(TerminalText.escaped("\(refused)"))"]))
            }
            sender.note { $0.sent += 1; if refused != nil { $0.partlyRefused += 1 } }
        case .configuration(let error):
            try giveBack([id], error: error)
        case .failed(let error):
            logger.error("request failed", metadata: requestMetadata(id, details, ["error": "\(TerminalText.escaped("\(error)"))"]))
            try sender.markFailed(id, details: details, error: error, refused: refused, store: store, owner: owner)
            report.failed += 1
            sender.note { $0.failed += 1 }
        case .retry(let error):
            try recordRetry(id: id, attempts: attempts, error: error, refused: refused, details: details)
        case .uncertain(let error):
            logger.warning("delivery uncertain", metadata: requestMetadata(id, details, ["error": "\(TerminalText.escaped("\(error)"))"]))
            try store.noteUncertain(id, owner: owner, error: error)
            report.uncertain += 1
            sender.note { $0.uncertain += 1 }
        }
    }

    /// Puts `id` back for a later attempt with backoff, or fails it when the policy allows no more.
    private mutating func recordRetry(id: String, attempts: Int, error: String, refused: String?,
                                      details: RequestDetails?) throws(QueueError) {
        if options.retry.allowsAnother(afterAttempts: attempts) {
            let delay = options.retry.delay(afterAttempts: attempts, random: options.random())
            try store.markRetry(id, owner: owner, nextAttemptAt: store.now() + delay, error: error, refused: refused)
            report.retried += 1
            sender.note { $0.retried += 1 }
        } else {
            try sender.markFailed(id, details: details, error: "gave up after \(attempts) attempts: \(error)", refused: refused,
                                  store: store, owner: owner)
            report.failed += 1
            sender.note { $0.failed += 1 }
        }
    }

    /// The metadata of a log line about one request: `more`, its `id` and, when it has one, the
    /// request's own send pattern as `pattern` (not the pattern the sender serves, which a
    /// sender serving every pattern does not have). Escaped like the error: a row written by
    /// another program is not checked as `enqueue` checks a pattern.
    func requestMetadata(_ id: String, _ details: RequestDetails?, _ more: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = more
        metadata["id"] = "\(id)"
        if let pattern = details?.request.patternID { metadata["pattern"] = "\(TerminalText.escaped(pattern))" }
        return metadata
    }
}
