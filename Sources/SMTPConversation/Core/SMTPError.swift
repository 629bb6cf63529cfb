/// SMTPError is the one error type of the toolkit.
///
/// Every failure, whether the server refused a command, the caller used the API in the wrong
/// order, the network failed or the peer sent something that is not SMTP, is an `SMTPError`.
/// `isTransient` and `isPermanent` are what a retry policy (the mail queue's) reads.
/// The message names the host, port and step when they are known.
public struct SMTPError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Kind says what went wrong.
    public enum Kind: Sendable, Equatable {
        /// The server answered with a 4xx reply (UTL_SMTP's `transient_error`).
        case transientError(Reply)
        /// The server answered with a 5xx reply (UTL_SMTP's `permanent_error`).
        case permanentError(Reply)
        /// The caller asked for a step that is not allowed in the conversation's current state.
        case invalidOperation(String)
        /// An argument would change the meaning of the command (CR, LF, NUL) or is otherwise unusable.
        case invalidArgument(field: String, reason: String)
        /// The server sent bytes that are not a valid SMTP reply (a remote protocol error).
        case malformedReply(String)
        /// A reply line was longer than the parser's cap.
        case lineTooLong(limit: Int)
        /// The peer closed the connection.
        case connectionClosed(String)
        /// A socket-level failure: DNS, connect, read, write.
        case network(String)
        /// No reply arrived within the timeout (seconds).
        case timeout(Double)
        /// The network ACL refused the host or port before anything was resolved.
        case accessDenied(String)
        /// TLS could not be established or the peer's certificate was not trusted.
        case tls(String)
        /// STARTTLS was required but the server did not offer it or refused it.
        case tlsRequired(String)
        /// The caller named an AUTH scheme this library does not implement (UTL_SMTP's `unsupported_scheme`).
        case unsupportedScheme(String)
        /// None of the caller's AUTH schemes is offered by the server (UTL_SMTP's `no_supported_scheme`).
        case noSupportedScheme(requested: [String], offered: [String])
        /// AUTH over a connection without TLS was refused because the caller did not opt in.
        case cleartextAuthRefused(String)
        /// A SASL exchange failed on the client side (bad challenge, too many rounds).
        case authenticationFailed(String)
    }

    /// The kind's name as written in code, e.g. `permanentError`; used by transcripts' `@expect error=`.
    public var kindName: String {
        switch kind {
        case .transientError: return "transientError"
        case .permanentError: return "permanentError"
        case .invalidOperation: return "invalidOperation"
        case .invalidArgument: return "invalidArgument"
        case .malformedReply: return "malformedReply"
        case .lineTooLong: return "lineTooLong"
        case .connectionClosed: return "connectionClosed"
        case .network: return "network"
        case .timeout: return "timeout"
        case .accessDenied: return "accessDenied"
        case .tls: return "tls"
        case .tlsRequired: return "tlsRequired"
        case .unsupportedScheme: return "unsupportedScheme"
        case .noSupportedScheme: return "noSupportedScheme"
        case .cleartextAuthRefused: return "cleartextAuthRefused"
        case .authenticationFailed: return "authenticationFailed"
        }
    }

    /// Where in the conversation an error happened; filled in by the connection layer.
    public struct Context: Sendable, Equatable {
        /// The host the conversation talks to.
        public var host: String?
        /// The port the conversation talks to.
        public var port: Int?
        /// The step (UTL_SMTP call) that failed, e.g. `rcpt`.
        public var step: String?

        /// Creates a context.
        public init(host: String? = nil, port: Int? = nil, step: String? = nil) {
            self.host = host
            self.port = port
            self.step = step
        }
    }

    /// What went wrong.
    public var kind: Kind
    /// Where it went wrong.
    public var context: Context
    /// More that a person can act on, e.g. the decoded XOAUTH2 error a server sent.
    public var detail: String?
    /// The server's reply behind an error of another kind: the 4xx or 5xx that refused STARTTLS
    /// (reported as `tlsRequired`, the connection closed). A 4xx there is temporary: a retry
    /// later may find TLS available again.
    public var refusal: Reply?

    /// Creates an error of the given kind.
    public init(_ kind: Kind, context: Context = Context(), detail: String? = nil) {
        self.kind = kind
        self.context = context
        self.detail = detail
    }

    /// The server's reply, when the error is a 4xx or 5xx reply.
    public var reply: Reply? {
        switch kind {
        case .transientError(let reply), .permanentError(let reply): return reply
        default: return nil
        }
    }

    /// isTransient is true when trying again later may succeed: 4xx replies, timeouts, network
    /// failures and connections closed by the peer.
    public var isTransient: Bool {
        switch kind {
        case .transientError, .timeout, .network, .connectionClosed: return true
        case .tlsRequired: return refusal?.isTransientFailure == true
        default: return false
        }
    }

    /// isPermanent is true when trying again with the same input will fail the same way:
    /// 5xx replies, invalid arguments, refused schemes, ACL and TLS trust failures.
    public var isPermanent: Bool {
        switch kind {
        case .permanentError, .invalidArgument, .unsupportedScheme, .noSupportedScheme, .accessDenied,
            .cleartextAuthRefused, .tls, .authenticationFailed:
            return true
        case .tlsRequired: return refusal?.isTransientFailure != true
        default: return false
        }
    }

    /// Returns a copy with the missing parts of the context filled in from `context`.
    public func filling(_ context: Context) -> SMTPError {
        var copy = self
        copy.context.host = copy.context.host ?? context.host
        copy.context.port = copy.context.port ?? context.port
        copy.context.step = copy.context.step ?? context.step
        return copy
    }

    /// A one-line message that names the host, port and step; never contains a secret.
    public var description: String {
        var location: [String] = []
        if let host = context.host {
            location.append(context.port.map { "\(host):\($0)" } ?? host)
        }
        if let step = context.step { location.append(step) }
        let prefix = location.isEmpty ? "" : location.joined(separator: " ") + ": "
        return prefix + kindDescription + (detail.map { " (\($0))" } ?? "")
    }

    private var kindDescription: String {
        switch kind {
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
        case .tlsRequired(let message): return "TLS required: \(message)"
        case .unsupportedScheme(let scheme): return "unsupported AUTH scheme \(scheme)"
        case .noSupportedScheme(let requested, let offered):
            let offeredText = offered.isEmpty ? "none" : offered.joined(separator: " ")
            return "no supported AUTH scheme: asked for \(requested.joined(separator: " ")), server offers \(offeredText)"
        case .cleartextAuthRefused(let message): return "cleartext AUTH refused: \(message)"
        case .authenticationFailed(let message): return "authentication failed: \(message)"
        }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return "\(seconds) s"
}
