extension SMTPConnection {
    /// Sends HELO (UTL_SMTP's `helo`). Prefer `ehlo`, which learns the server's extensions.
    @discardableResult
    public func helo(_ domain: String) throws(SMTPError) -> Reply {
        try exchange(.helo(domain), step: "helo", raising: true)
    }

    /// Sends EHLO and keeps the advertised capabilities (UTL_SMTP's `ehlo`).
    @discardableResult
    public func ehlo(_ domain: String) throws(SMTPError) -> Reply {
        try exchange(.ehlo(domain), step: "ehlo", raising: true)
    }

    /// Sends `MAIL FROM:<sender>` with optional ESMTP parameters such as `SIZE=1000`, `BODY=8BITMIME`.
    @discardableResult
    public func mail(from sender: String, parameters: [String] = []) throws(SMTPError) -> Reply {
        try exchange(.mail(from: sender, parameters: parameters), step: "mail", raising: true)
    }

    /// Sends `RCPT TO:<recipient>` with optional parameters such as `NOTIFY=FAILURE`.
    @discardableResult
    public func rcpt(to recipient: String, parameters: [String] = []) throws(SMTPError) -> Reply {
        try exchange(.rcpt(to: recipient, parameters: parameters), step: "rcpt", raising: true)
    }

    /// Sends RSET, ending any mail transaction.
    @discardableResult
    public func rset() throws(SMTPError) -> Reply {
        try exchange(.rset, step: "rset", raising: true)
    }

    /// Sends `VRFY recipient`.
    @discardableResult
    public func vrfy(_ recipient: String) throws(SMTPError) -> Reply {
        try exchange(.vrfy(recipient), step: "vrfy", raising: true)
    }

    /// Sends NOOP.
    @discardableResult
    public func noop() throws(SMTPError) -> Reply {
        try exchange(.noop, step: "noop", raising: true)
    }

    /// Sends `HELP [command]`.
    @discardableResult
    public func help(_ command: String? = nil) throws(SMTPError) -> Reply {
        try exchange(.help(command), step: "help", raising: true)
    }

    /// Sends any command line and returns its (last) reply (UTL_SMTP's `command`).
    /// Raw commands do not change the conversation's phase.
    @discardableResult
    public func command(_ command: String, argument: String? = nil) throws(SMTPError) -> Reply {
        try exchange(.raw(Self.rawLine(command, argument)), step: "command", raising: true)
    }

    /// Sends any command line and returns its reply's lines as separate one-line replies
    /// (UTL_SMTP's `command_replies`).
    public func commandReplies(_ command: String, argument: String? = nil) throws(SMTPError) -> [Reply] {
        let reply = try exchange(.raw(Self.rawLine(command, argument)), step: "command_replies", raising: true)
        return reply.lines.map { Reply(reply.code, $0) }
    }

    /// Sends QUIT, reads the reply and closes the connection (UTL_SMTP's `quit`).
    @discardableResult
    public func quit() throws(SMTPError) -> Reply {
        defer { lose() }
        return try exchange(.quit, step: "quit", raising: true)
    }

    /// Closes the connection without QUIT (UTL_SMTP's `close_connection`). Never throws; safe to
    /// call twice.
    public func closeConnection() {
        lose()
    }

    static func rawLine(_ command: String, _ argument: String?) -> String {
        guard let argument, !argument.isEmpty else { return command }
        return command + " " + argument
    }
}
