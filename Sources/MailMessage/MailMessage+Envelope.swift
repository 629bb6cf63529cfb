import SMTPConversation

extension MailMessage {
    /// Checks the envelope with the code that sends it: each envelope address is rendered as
    /// the `MAIL FROM`/`RCPT TO` command it becomes (`Command.line()`). An address a header may
    /// carry but a path may not (a quoted local part with `<`, `>` or a space) is refused here,
    /// naming its field, rather than failing when the message is sent.
    /// - Throws: `MessageError.invalidAddress`.
    func validateEnvelope() throws(MessageError) {
        let senderField = returnPath != nil ? "Return-Path" : sender != nil ? "Sender" : "From"
        try Self.rendered(.mail(from: envelopeSender, parameters: []), field: senderField)
        for (field, list) in [("To", to), ("Cc", cc), ("Bcc", bcc)] {
            for (index, address) in list.enumerated() {
                try Self.rendered(.rcpt(to: address.address, parameters: []), field: "\(field)[\(index)]")
            }
        }
    }

    private static func rendered(_ command: Command, field: String) throws(MessageError) {
        do {
            _ = try command.line()
        } catch {
            let reason: String
            reason = error.code == .invalidArgument ? error.message ?? error.description : error.description
            throw MessageError(.invalidAddress, field: field, reason: "\(reason) the \(command.verb) command can carry (no space, < or > in a path)")
        }
    }
}
