import Foundation
import SMTPConversation

extension QueueSender {
    /// Longest wait between a daemon's attempts to reach its database again, in seconds.
    static let longestReconnectWait = 30.0

    /// One worker that, in a daemon, outlives a lost database: `work(worker:)`, and after a
    /// database error (PostgreSQL restarted, the network gone) the same again on a new store,
    /// after 0.5 s doubling up to the poll interval (at most 30 s), until the database answers or
    /// the sender stops. Nothing claimed is lost: a claim the worker held runs out with its
    /// lease and is sent again; an `uncertain` request stays uncertain. `send --once` and other
    /// errors (schema, configuration) end the worker as before.
    /// - Returns: the worker's totals (a run cut short by the error counts in the progress
    ///   figures, not in these).
    func workRecovering(worker: Int) throws(QueueError) -> SenderReport {
        var total = SenderReport()
        var delay = 0.5
        var lastFailure = Date.distantPast
        while true {
            do {
                total.add(try work(worker: worker))
                return total
            } catch where !options.once && error.kind == .database && !stop.isStopped {
                // A database that stayed up for a minute since the last failure: start again short.
                if Date().timeIntervalSince(lastFailure) > 60 { delay = 0.5 }
                lastFailure = Date()
                logger.warning("database error; connecting again", metadata: [
                    "worker": "\(worker)", "in-seconds": "\(delay)", "error": "\(TerminalText.escaped(error.description))"])
                if stop.wait(seconds: delay) { return total }
                delay = min(delay * 2, max(0.5, min(options.idlePollSeconds, Self.longestReconnectWait)))
            }
        }
    }
}
