import Foundation
import SMTPConversation

/// Delivery status notifications (`--bounce`) for relayed requests the upstream refused for good.
extension QueueSender {
    /// The report for `details`' request (a relayed raw message that came with a sender) whose
    /// recipients failed with `error` (or each with its reply in `refused`), ready to store with
    /// the request's mark; nil without `--bounce` or when there must be none. Its pattern is the
    /// request's, so it goes back through the same upstream.
    func deliveryReport(for id: String, details: RequestDetails?, error: String, refused: String?, onlyRefused: Bool = false,
                        store: QueueStore) -> StoredRequest? {
        guard let builder = options.bounce else { return nil }
        // Given up after connection failures, the request was not read yet: read it now.
        guard let details = details ?? (try? store.details(id)), details.request.raw != nil else { return nil }
        let failed = DeliveryReport.recipients(of: details.request, error: error, refused: refused, onlyRefused: onlyRefused)
        guard let report = builder.report(
            for: details.request, failed: failed, arrival: Date(timeIntervalSince1970: Double(details.requestedAt) / 1000),
            now: Date(timeIntervalSince1970: Double(store.now()) / 1000))
        else { return nil }
        do {
            return try report.stored(limits: store.limits)
        } catch {
            logger.error("cannot make the delivery status notification", metadata: [
                "id": "\(details.request.id)", "error": "\(TerminalText.escaped("\(error)"))"])
            return nil
        }
    }

    /// Marks `id` failed, with its report when there is one.
    func markFailed(_ id: String, details: RequestDetails?, error: String, refused: String?, store: QueueStore,
                    owner: String) throws(QueueError) {
        guard let report = deliveryReport(for: id, details: details, error: error, refused: refused, store: store) else {
            try store.markFailed(id, owner: owner, error: error, refused: refused)
            return
        }
        if try store.markFailed(id, owner: owner, error: error, refused: refused, bounce: report) != nil {
            logger.info("delivery status notification queued", metadata: [
                "id": "\(id)", "report": "\(report.id)", "to": "\(TerminalText.escaped(report.recipients.first?.address ?? ""))"])
        }
    }
}
