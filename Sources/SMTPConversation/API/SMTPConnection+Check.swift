extension SMTPConnection {
    /// check(_:) throws what the call for `step` would throw in the conversation's state (DATA
    /// before a recipient was accepted, MAIL before EHLO…), sending nothing: for a caller that
    /// gathers input before the call, as the REPL does before a message is typed.
    /// - Throws: `SMTPError` (`invalidOperation`) naming host, port and step.
    public func check(_ step: Conversation.Step) throws(SMTPError) {
        do throws(SMTPError) { try conversation.checkCanSend(step) } catch { throw error.filling(context(step.rawValue)) }
    }
}
