import SMTPConversation

/// DeliveryOutcome is what one attempt at one request came to, decided from the error (pure:
/// no I/O). The sender records it.
public enum DeliveryOutcome: Sendable, Equatable {
    /// 250 after the final `.`.
    case sent
    /// Try again later (4xx, timeout, dropped connection, network).
    case retry(String)
    /// Give up (5xx, invalid request).
    case failed(String)
    /// The final `.` may have arrived; its reply was lost.
    case uncertain(String)
    /// The server refuses the sender's settings, not the request (530 "authentication
    /// required" to MAIL: the settings give no AUTH): no attempt is spent, the request goes
    /// back unsent, and the sender stops, as when a credential is refused.
    case configuration(String)

    /// The outcome of an SMTP error at `step`. After the final `.` (`afterFinalDot`), a lost
    /// connection or timeout is uncertain; a 4xx/5xx reply is definite.
    public static func of(_ error: SMTPError, step: String, afterFinalDot: Bool = false) -> DeliveryOutcome {
        let text = "\(step): \(error.reply?.singleLine ?? error.description)"
        if afterFinalDot, error.reply == nil { return .uncertain(text) }
        if !afterFinalDot, error.reply?.isAuthenticationRequired == true { return .configuration(text) }
        if error.isTransient || error.reply?.code == 421 { return .retry(text) }
        if error.isPermanent { return .failed(text) }
        return .retry(text)
    }
}

/// DeliveryFailure is why a request can never be sent as it is: its message cannot be built,
/// or not for this server.
struct DeliveryFailure: Error {
    /// What is wrong, as recorded with the request.
    let text: String

    init(_ text: String) { self.text = text }
}
