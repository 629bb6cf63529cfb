import SMTPConversation

/// The outcome of a mail transaction the library's engine ran (`SMTPConnection.send`), read
/// from its `MailResult` (pure: no I/O).
extension DeliveryOutcome {
    /// What `result` comes to for a request with `recipients` envelope recipients: a refusal at
    /// the step that refused (MAIL FROM, every RCPT TO, DATA, the final dot), a failure as an
    /// error at its step, a final dot without its reply uncertain, a withheld final dot to be
    /// retried, a 250 to it sent.
    public static func of(_ result: MailResult, recipients: Int) -> DeliveryOutcome {
        if let refusal = SMTPError(refusing: result.mailReply) { return of(refusal, step: "MAIL FROM") }
        if result.recipientReplies.count == recipients, result.acceptedRecipients.isEmpty {
            let refused = result.recipientReplies
            let text = "RCPT TO: every recipient refused: " + refused.map { "\($0.recipient): \($0.reply.singleLine)" }.joined(separator: "; ")
            return refused.contains { $0.reply.code < 500 } ? .retry(text) : .failed(text)
        }
        if let failure = result.failure {
            if !result.isOutcomeKnown { return of(failure, step: "final dot", afterFinalDot: true) }
            // Refused before anything was written (a bare CR in the message): not delivered.
            if failure.code == .invalidArgument { return .failed("message: \(failure)") }
            return of(failure, step: failedStep(of: result, recipients: recipients))
        }
        guard let dataReply = result.dataReply, dataReply.code == 354 else {
            if let refusal = result.dataReply.flatMap({ SMTPError(refusing: $0) }) { return of(refusal, step: "DATA") }
            return .retry("DATA: answered \(result.dataReply?.singleLine ?? "nothing"), not 354")
        }
        // Withheld, the dot never went out: the server discarded the message.
        if result.isWithheld { return .retry("final dot: withheld, the connection closed without it") }
        guard let finalReply = result.finalReply else { return .uncertain("final dot: no reply") }
        if let refusal = SMTPError(refusing: finalReply) { return of(refusal, step: "final dot", afterFinalDot: true) }
        return .sent
    }

    /// The step whose reply `result`'s failure cut short: RCPT TO while a recipient's reply is
    /// missing, then DATA, then the message body.
    static func failedStep(of result: MailResult, recipients: Int) -> String {
        if result.dataReply != nil { return "message body" }
        return result.recipientReplies.count < recipients ? "RCPT TO" : "DATA"
    }

    /// The recipients the server refused in `result`, one `address: reply` a line, as recorded
    /// with the request; nil when it refused none, or refused MAIL FROM.
    public static func refusedRecipients(in result: MailResult) -> String? {
        guard SMTPError(refusing: result.mailReply) == nil else { return nil }
        let lines = result.recipientReplies.filter { !$0.reply.isPositiveCompletion }.map { "\($0.recipient): \($0.reply.singleLine)" }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}
