extension SMTPError {
    /// Code names which failure an `SMTPError` is. It is a struct with a static member per
    /// failure rather than an enum, so codes can be added without breaking a caller's `switch`
    /// (which needs a `default`). Compare with `==` or match with `case .timeout:`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name as written in code, e.g. `permanentError`.
        public let name: String

        init(_ name: String) { self.name = name }

        /// Code's description is its name.
        public var description: String { name }

        /// The server answered with a 4xx reply (UTL_SMTP's `transient_error`).
        public static let transientError = Code("transientError")
        /// The server answered with a 5xx reply (UTL_SMTP's `permanent_error`).
        public static let permanentError = Code("permanentError")
        /// The caller asked for a step that is not allowed in the conversation's current state.
        public static let invalidOperation = Code("invalidOperation")
        /// An argument would change the meaning of the command (CR, LF, NUL) or is otherwise unusable.
        public static let invalidArgument = Code("invalidArgument")
        /// The server sent bytes that are not a valid SMTP reply (a remote protocol error).
        public static let malformedReply = Code("malformedReply")
        /// A reply line was longer than the parser's cap.
        public static let lineTooLong = Code("lineTooLong")
        /// The peer closed the connection.
        public static let connectionClosed = Code("connectionClosed")
        /// A socket-level failure: DNS, connect, read, write.
        public static let network = Code("network")
        /// No reply arrived within the timeout.
        public static let timeout = Code("timeout")
        /// The network ACL refused the host or port before anything was resolved.
        public static let accessDenied = Code("accessDenied")
        /// TLS could not be established or the peer's certificate was not trusted.
        public static let tls = Code("tls")
        /// STARTTLS was required but the server did not offer it or refused it.
        public static let tlsRequired = Code("tlsRequired")
        /// The caller named an AUTH scheme this library does not implement (UTL_SMTP's `unsupported_scheme`).
        public static let unsupportedScheme = Code("unsupportedScheme")
        /// None of the caller's AUTH schemes is offered by the server (UTL_SMTP's `no_supported_scheme`).
        public static let noSupportedScheme = Code("noSupportedScheme")
        /// AUTH over a connection without TLS was refused because the caller did not opt in.
        public static let cleartextAuthRefused = Code("cleartextAuthRefused")
        /// A SASL exchange failed on the client side (bad challenge, too many rounds).
        public static let authenticationFailed = Code("authenticationFailed")
    }
}
