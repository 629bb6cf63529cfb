/// Envelope is a message's MAIL FROM and RCPT TOs: what `send(_:next:beforeFinalDot:)` sends
/// ahead of the message, and what rides behind the previous message's final dot when the
/// server offers PIPELINING.
public struct Envelope: Sendable, Equatable {
    /// The envelope sender (MAIL FROM); empty for the null sender.
    public var sender: String
    /// The envelope recipients (RCPT TO), at least one.
    public var recipients: [String]
    /// ESMTP parameters for MAIL FROM, e.g. `BODY=8BITMIME`, `SMTPUTF8`, `SIZE=1234`.
    public var mailParameters: [String]
    /// ESMTP parameters for every RCPT TO, e.g. `NOTIFY=FAILURE` (RFC 3461).
    public var recipientParameters: [String]

    /// Creates an envelope.
    public init(sender: String, recipients: [String], mailParameters: [String] = [], recipientParameters: [String] = []) {
        self.sender = sender
        self.recipients = recipients
        self.mailParameters = mailParameters
        self.recipientParameters = recipientParameters
    }

    /// Refuses an envelope that cannot be sent, before anything of it is written (a command
    /// refused half-way through a pipelined group would leave the conversation waiting for
    /// replies that never come).
    /// - Throws: `invalidArgument` naming what is wrong.
    func check() throws(SMTPError) {
        try checkRecipients()
        for command in commands { _ = try command.wireBytes() }
    }

    /// Refuses an envelope without a recipient (the rest is checked as its commands are
    /// rendered).
    /// - Throws: `invalidArgument` naming `recipients`.
    func checkRecipients() throws(SMTPError) {
        guard !recipients.isEmpty else {
            throw SMTPError(.invalidArgument(field: "recipients", reason: "at least one recipient is needed"))
        }
    }

    /// MAIL FROM, each RCPT TO, DATA.
    var commands: [Command] {
        [.mail(from: sender, parameters: mailParameters)]
            + recipients.map { .rcpt(to: $0, parameters: recipientParameters) } + [.data]
    }
}
