import MailMessage

/// MessageBuilder is the one place a stored request becomes a MailMessage (headers, MIME body,
/// envelope). Enqueue validation and the sender both go through it, so what was accepted at
/// enqueue is what is sent.
enum MessageBuilder {
    /// Builds the message for `request`.
    /// - Throws: `QueueError` naming the field (`To[1]`, `Subject`, …) for an invalid address,
    ///   header injection or a charset problem.
    static func message(for request: StoredRequest) throws(QueueError) -> MailMessage {
        guard let charset = MessageCharset(name: request.charset) else {
            throw QueueError(.unknownCharset, field: "charset",
                             reason: "'\(request.charset)' is not one of UTF-8, ISO-2022-JP, Shift_JIS, EUC-JP")
        }
        do {
            var message = try MailMessage(
                from: request.from,
                to: request.recipients.filter { $0.kind == .to }.map(\.address),
                cc: request.recipients.filter { $0.kind == .cc }.map(\.address),
                bcc: request.recipients.filter { $0.kind == .bcc }.map(\.address),
                replyTo: request.replyTo.map { [$0] } ?? [], returnPath: request.returnPath,
                subject: request.subject, text: request.body, charset: charset, messageID: request.messageID)
            message.attachments = request.attachments.map {
                Attachment(filename: $0.filename, contentType: $0.contentType, bytes: $0.data)
            }
            return message
        } catch {
            throw QueueError(from: error)
        }
    }

    /// Checks `request` as fully as possible without a server (every header, address, charset).
    static func validate(_ request: StoredRequest) throws(QueueError) {
        let message = try message(for: request)
        do { try message.validate() } catch { throw QueueError(from: error) }
    }

    /// The stable Message-ID of request `id` sent from `from`: `<mq.ID@domain-of-from>`.
    static func messageID(requestID: String, from: String) -> String {
        let domain = from.split(separator: "@").last.map { String($0).filter { $0 != ">" && $0 != " " } } ?? ""
        let safe = !domain.isEmpty && domain.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        return "<mq.\(requestID)@\(safe ? domain : "mail-queue.invalid")>"
    }
}

extension QueueError {
    /// Maps MailMessage's error onto the queue's kinds, keeping its field and reason.
    init(from error: MessageError) {
        let kind: Kind
        switch error.kind {
        case .headerInjection: kind = .headerInjection
        case .invalidAddress: kind = .invalidAddress
        case .noRecipient: kind = .noRecipient
        default: kind = .invalidMessage
        }
        self.init(kind, field: error.field, reason: error.reason)
    }
}
