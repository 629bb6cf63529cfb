extension SMTPConnection {
    /// FunctionForm is UTL_SMTP's function form: the same calls, but 4xx and 5xx replies are
    /// returned as values instead of thrown. Network, timeout, protocol and misuse errors still throw.
    public struct FunctionForm {
        let connection: SMTPConnection

        /// `helo`, returning the reply.
        public func helo(_ domain: String) throws(SMTPError) -> Reply {
            try connection.exchange(.helo(domain), step: "helo", raising: false)
        }
        /// `ehlo`, returning the reply.
        public func ehlo(_ domain: String) throws(SMTPError) -> Reply {
            try connection.exchange(.ehlo(domain), step: "ehlo", raising: false)
        }
        /// `mail`, returning the reply.
        public func mail(from sender: String, parameters: [String] = []) throws(SMTPError) -> Reply {
            try connection.exchange(.mail(from: sender, parameters: parameters), step: "mail", raising: false)
        }
        /// `rcpt`, returning the reply.
        public func rcpt(to recipient: String, parameters: [String] = []) throws(SMTPError) -> Reply {
            try connection.exchange(.rcpt(to: recipient, parameters: parameters), step: "rcpt", raising: false)
        }
        /// `data`, returning the reply to DATA when it is not 354, else the reply to the final dot.
        public func data(_ body: String) throws(SMTPError) -> Reply {
            try connection.sendData(Array(body.utf8), raising: false)
        }
        /// `open_data`, returning the reply to DATA.
        public func openData() throws(SMTPError) -> Reply {
            try connection.exchange(.data, step: "open_data", raising: false)
        }
        /// `close_data`, returning the reply to the final dot.
        public func closeData() throws(SMTPError) -> Reply {
            try connection.finishData(step: "close_data", raising: false)
        }
        /// `rset`, returning the reply.
        public func rset() throws(SMTPError) -> Reply {
            try connection.exchange(.rset, step: "rset", raising: false)
        }
        /// `vrfy`, returning the reply.
        public func vrfy(_ recipient: String) throws(SMTPError) -> Reply {
            try connection.exchange(.vrfy(recipient), step: "vrfy", raising: false)
        }
        /// `noop`, returning the reply.
        public func noop() throws(SMTPError) -> Reply {
            try connection.exchange(.noop, step: "noop", raising: false)
        }
        /// `help`, returning the reply.
        public func help(_ command: String? = nil) throws(SMTPError) -> Reply {
            try connection.exchange(.help(command), step: "help", raising: false)
        }
        /// `command`, returning the reply.
        public func command(_ command: String, argument: String? = nil) throws(SMTPError) -> Reply {
            try connection.exchange(.raw(SMTPConnection.rawLine(command, argument)), step: "command", raising: false)
        }
        /// `auth`, returning the final reply.
        public func auth(_ credentials: Credentials, schemes: [String]) throws(SMTPError) -> Reply {
            try connection.authenticate(credentials, schemes: schemes, raising: false)
        }
        /// `quit`, returning the reply; the connection is closed either way.
        public func quit() throws(SMTPError) -> Reply {
            defer { connection.lose() }
            return try connection.exchange(.quit, step: "quit", raising: false)
        }
    }

    /// The function form of every call: 4xx/5xx replies are returned, not thrown.
    public var returningReplies: FunctionForm { FunctionForm(connection: self) }
}
