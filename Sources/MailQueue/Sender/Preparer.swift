import Foundation
import MailMessage

/// Preparer builds and encodes the requests of a batch on a thread of its own, a few ahead of
/// the worker that sends them, so that the worker spends its time on the conversation and the
/// marks. It pays where a core would otherwise wait (fewer connections than cores): the
/// message of the next request is made while the server answers the current one.
///
/// It makes each request once, in the batch's order, for one encoding (what the connection
/// offered when the batch was read). The worker takes them in that order; one it passes over
/// (a request gone, a stop) is dropped.
final class Preparer: @unchecked Sendable {
    /// What the messages were encoded for.
    let encoding: EncodingOptions
    private let requests: [StoredRequest]
    private let position: [String: Int]
    private let depth: Int
    private let condition = NSCondition()
    private var made: [Int: Result<QueueSender.Prepared, DeliveryFailure>] = [:]
    /// How many requests are made (in order) and how far the worker has taken.
    private var produced = 0
    private var consumed = 0
    private var cancelled = false

    /// Starts making `requests` for `encoding`, at most `depth` ahead of the worker.
    init(requests: [StoredRequest], encoding: EncodingOptions, depth: Int = 16) {
        self.requests = requests
        self.encoding = encoding
        self.depth = max(1, depth)
        var position: [String: Int] = [:]
        for (index, request) in requests.enumerated() { position[request.id] = index }
        self.position = position
        let thread = Thread { [self] in run() }
        thread.name = "mail-queue preparer"
        thread.start()
    }

    private func run() {
        for (index, request) in requests.enumerated() {
            condition.lock()
            while !cancelled && index - consumed >= depth { condition.wait() }
            if cancelled {
                condition.unlock()
                return
            }
            let passed = index < consumed
            condition.unlock()
            // Passed over by the worker already: not made.
            let result: Result<QueueSender.Prepared, DeliveryFailure>? =
                passed ? nil : QueueSender.prepare(request, encoding: encoding)
            condition.lock()
            // Kept only if the worker has not gone past it meanwhile.
            if let result, index >= consumed { made[index] = result }
            produced = index + 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The request `id` made ready (waiting for it if needed), or nil when it is not part of
    /// this batch or was taken already. Requests before it that were not taken are dropped.
    func take(_ id: String) -> Result<QueueSender.Prepared, DeliveryFailure>? {
        guard let index = position[id] else { return nil }
        condition.lock()
        defer { condition.unlock() }
        guard index >= consumed, !cancelled else { return nil }
        for skipped in consumed..<index { made[skipped] = nil }
        consumed = index
        condition.broadcast()
        while produced <= index && !cancelled { condition.wait() }
        let result = made.removeValue(forKey: index)
        consumed = index + 1
        condition.broadcast()
        return result
    }

    /// Stops making requests (the batch is over); the thread ends soon after.
    func cancel() {
        condition.lock()
        cancelled = true
        made.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
