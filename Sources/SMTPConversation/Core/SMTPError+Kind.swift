extension SMTPError {
    /// Kind is what went wrong: a `code` and what that code carries (a reply, a message, an
    /// argument's name). Made with its static functions, e.g. `SMTPError(.timeout(5))`; read with
    /// `code`, `reply`, `message` and the fields of the codes that carry more. Not an enum, so
    /// kinds can be added without breaking callers.
    public struct Kind: Sendable, Equatable {
        let storage: Storage

        /// What each code carries; internal so it can grow.
        enum Storage: Sendable, Equatable {
            case transientError(Reply)
            case permanentError(Reply)
            case invalidOperation(String)
            case invalidArgument(field: String, reason: String)
            case malformedReply(String)
            case lineTooLong(limit: Int)
            case connectionClosed(String)
            case network(String)
            case timeout(Double)
            case accessDenied(String)
            case tls(String)
            case tlsRequired(String, refusal: Reply?)
            case unsupportedScheme(String)
            case noSupportedScheme(requested: [String], offered: [String])
            case cleartextAuthRefused(String)
            case authenticationFailed(String)
        }

        init(_ storage: Storage) { self.storage = storage }

        /// The server answered with a 4xx reply (UTL_SMTP's `transient_error`).
        public static func transientError(_ reply: Reply) -> Kind { Kind(.transientError(reply)) }
        /// The server answered with a 5xx reply (UTL_SMTP's `permanent_error`).
        public static func permanentError(_ reply: Reply) -> Kind { Kind(.permanentError(reply)) }
        /// The caller asked for a step that is not allowed in the conversation's current state.
        public static func invalidOperation(_ message: String) -> Kind { Kind(.invalidOperation(message)) }
        /// An argument would change the meaning of the command (CR, LF, NUL) or is otherwise unusable.
        public static func invalidArgument(field: String, reason: String) -> Kind {
            Kind(.invalidArgument(field: field, reason: reason))
        }
        /// The server sent bytes that are not a valid SMTP reply (a remote protocol error).
        public static func malformedReply(_ message: String) -> Kind { Kind(.malformedReply(message)) }
        /// A reply line was longer than the parser's cap (`limit` octets).
        public static func lineTooLong(limit: Int) -> Kind { Kind(.lineTooLong(limit: limit)) }
        /// The peer closed the connection.
        public static func connectionClosed(_ message: String) -> Kind { Kind(.connectionClosed(message)) }
        /// A socket-level failure: DNS, connect, read, write.
        public static func network(_ message: String) -> Kind { Kind(.network(message)) }
        /// No reply arrived within the timeout (seconds).
        public static func timeout(_ seconds: Double) -> Kind { Kind(.timeout(seconds)) }
        /// The network ACL refused the host or port before anything was resolved.
        public static func accessDenied(_ message: String) -> Kind { Kind(.accessDenied(message)) }
        /// TLS could not be established or the peer's certificate was not trusted.
        public static func tls(_ message: String) -> Kind { Kind(.tls(message)) }
        /// STARTTLS was required but the server did not offer it or refused it (`refusal`, the
        /// 4xx or 5xx it answered).
        public static func tlsRequired(_ message: String, refusal: Reply? = nil) -> Kind {
            Kind(.tlsRequired(message, refusal: refusal))
        }
        /// The caller named an AUTH scheme this library does not implement (UTL_SMTP's `unsupported_scheme`).
        public static func unsupportedScheme(_ scheme: String) -> Kind { Kind(.unsupportedScheme(scheme)) }
        /// None of the caller's AUTH schemes is offered by the server (UTL_SMTP's `no_supported_scheme`).
        public static func noSupportedScheme(requested: [String], offered: [String]) -> Kind {
            Kind(.noSupportedScheme(requested: requested, offered: offered))
        }
        /// AUTH over a connection without TLS was refused because the caller did not opt in.
        public static func cleartextAuthRefused(_ message: String) -> Kind { Kind(.cleartextAuthRefused(message)) }
        /// A SASL exchange failed on the client side (bad challenge, too many rounds).
        public static func authenticationFailed(_ message: String) -> Kind { Kind(.authenticationFailed(message)) }

        /// Which failure this is.
        public var code: Code {
            switch storage {
            case .transientError: return .transientError
            case .permanentError: return .permanentError
            case .invalidOperation: return .invalidOperation
            case .invalidArgument: return .invalidArgument
            case .malformedReply: return .malformedReply
            case .lineTooLong: return .lineTooLong
            case .connectionClosed: return .connectionClosed
            case .network: return .network
            case .timeout: return .timeout
            case .accessDenied: return .accessDenied
            case .tls: return .tls
            case .tlsRequired: return .tlsRequired
            case .unsupportedScheme: return .unsupportedScheme
            case .noSupportedScheme: return .noSupportedScheme
            case .cleartextAuthRefused: return .cleartextAuthRefused
            case .authenticationFailed: return .authenticationFailed
            }
        }

        /// The 4xx or 5xx reply of `transientError` and `permanentError`.
        public var reply: Reply? {
            switch storage {
            case .transientError(let reply), .permanentError(let reply): return reply
            default: return nil
            }
        }

        /// The reply that refused STARTTLS, for `tlsRequired`.
        public var refusal: Reply? {
            if case .tlsRequired(_, let refusal) = storage { return refusal }
            return nil
        }

        /// The text the kind carries: the message of `invalidOperation`, `malformedReply`,
        /// `connectionClosed`, `network`, `accessDenied`, `tls`, `tlsRequired`,
        /// `cleartextAuthRefused` and `authenticationFailed`, the reason of `invalidArgument`,
        /// the scheme of `unsupportedScheme`.
        public var message: String? {
            switch storage {
            case .invalidOperation(let text), .malformedReply(let text), .connectionClosed(let text),
                .network(let text), .accessDenied(let text), .tls(let text), .tlsRequired(let text, _),
                .cleartextAuthRefused(let text), .authenticationFailed(let text), .unsupportedScheme(let text):
                return text
            case .invalidArgument(_, let reason): return reason
            default: return nil
            }
        }

        /// The argument `invalidArgument` names.
        public var field: String? {
            if case .invalidArgument(let field, _) = storage { return field }
            return nil
        }

        /// The schemes asked for and offered, for `noSupportedScheme`.
        public var schemes: (requested: [String], offered: [String])? {
            if case .noSupportedScheme(let requested, let offered) = storage { return (requested, offered) }
            return nil
        }

        /// The seconds waited, for `timeout`.
        public var seconds: Double? {
            if case .timeout(let seconds) = storage { return seconds }
            return nil
        }

        /// The line cap that was exceeded, for `lineTooLong`.
        public var limit: Int? {
            if case .lineTooLong(let limit) = storage { return limit }
            return nil
        }

        /// The same kind with every text and reply passed through `transform` (used to remove
        /// echoes of a secret).
        func mapping(text transform: (String) -> String, reply replyTransform: (Reply) -> Reply) -> Kind {
            switch storage {
            case .transientError(let reply): return .transientError(replyTransform(reply))
            case .permanentError(let reply): return .permanentError(replyTransform(reply))
            case .malformedReply(let text): return .malformedReply(transform(text))
            case .authenticationFailed(let text): return .authenticationFailed(transform(text))
            case .connectionClosed(let text): return .connectionClosed(transform(text))
            case .tlsRequired(let text, let refusal): return .tlsRequired(transform(text), refusal: refusal.map(replyTransform))
            default: return self
            }
        }

        /// The one-line text of the kind, without context.
        var text: String {
            switch storage {
            case .transientError(let reply): return "transient error: \(reply.singleLine)"
            case .permanentError(let reply): return "permanent error: \(reply.singleLine)"
            case .invalidOperation(let message): return "invalid operation: \(message)"
            case .invalidArgument(let field, let reason): return "invalid \(field): \(reason)"
            case .malformedReply(let message): return "malformed reply: \(message)"
            case .lineTooLong(let limit): return "malformed reply: a reply line is longer than \(limit) octets"
            case .connectionClosed(let message): return "connection closed: \(message)"
            case .network(let message): return "network error: \(message)"
            case .timeout(let seconds): return "timeout: no reply within \(formatSeconds(seconds))"
            case .accessDenied(let message): return "access denied by the network ACL: \(message)"
            case .tls(let message): return "TLS: \(message)"
            case .tlsRequired(let message, _): return "TLS required: \(message)"
            case .unsupportedScheme(let scheme): return "unsupported AUTH scheme \(scheme)"
            case .noSupportedScheme(let requested, let offered):
                let offeredText = offered.isEmpty ? "none" : offered.joined(separator: " ")
                return "no supported AUTH scheme: asked for \(requested.joined(separator: " ")), server offers \(offeredText)"
            case .cleartextAuthRefused(let message): return "cleartext AUTH refused: \(message)"
            case .authenticationFailed(let message): return "authentication failed: \(message)"
            }
        }
    }
}
