/// SMTPError is the one error type of the toolkit.
///
/// Every failure, whether the server refused a command, the caller used the API in the wrong
/// order, the network failed or the peer sent something that is not SMTP, is an `SMTPError`.
/// `isTransient` and `isPermanent` are what a retry policy (the mail queue's) reads; `code`
/// says which failure it is and `reply` (or `refusal`) the server's reply behind it.
/// The message names the host, port and step when they are known.
///
/// New codes may be added in any release: `code` is a struct, not an enum, so a `switch` over it
/// has a `default` and keeps compiling (lettre's `Error` works the same way).
public struct SMTPError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public var kind: Kind
    /// Where it went wrong.
    public var context: Context
    /// More that a person can act on, e.g. the decoded XOAUTH2 error a server sent.
    public var detail: String?

    /// Creates an error of the given kind.
    public init(_ kind: Kind, context: Context = Context(), detail: String? = nil) {
        self.kind = kind
        self.context = context
        self.detail = detail
    }

    /// Creates the error a refused reply means: a 4xx is `transientError`, a 5xx
    /// `permanentError`. Returns nil for a reply that refuses nothing (2xx, 3xx).
    ///
    /// With `expected`, any other code is refused too: a 2xx or 3xx where `expected` was due
    /// (250 to DATA, a greeting that is not 220) is a `permanentError`, since the server did not
    /// do what the step needs.
    public init?(refusing reply: Reply, expected: Int? = nil, context: Context = Context()) {
        if reply.isTransientFailure {
            self.init(.transientError(reply), context: context)
        } else if reply.isPermanentFailure || (expected.map { reply.code != $0 } ?? false) {
            self.init(.permanentError(reply), context: context)
        } else {
            return nil
        }
    }

    /// What went wrong: the `code` and what that code carries.
    public var code: Code { kind.code }

    /// The kind's name as written in code, e.g. `permanentError`; used by transcripts' `@expect error=`.
    public var kindName: String { kind.code.name }

    /// The server's reply, when the error is a 4xx or 5xx reply (`transientError`, `permanentError`).
    public var reply: Reply? { kind.reply }

    /// The server's reply behind the error, whatever its code: the 4xx or 5xx of
    /// `transientError`/`permanentError`, or the one that refused STARTTLS (reported as
    /// `tlsRequired`, the connection closed; a 4xx there is temporary: a retry later may find
    /// TLS available again).
    public var refusal: Reply? { kind.reply ?? kind.refusal }

    /// The text the kind carries (the reason of `invalidOperation`, `network`, `tls`, …); nil for
    /// kinds that carry a reply or numbers instead.
    public var message: String? { kind.message }

    /// isTransient is true when trying again later may succeed: 4xx replies, timeouts, network
    /// failures and connections closed by the peer.
    public var isTransient: Bool {
        switch kind.storage {
        case .transientError, .timeout, .network, .connectionClosed: return true
        case .tlsRequired(_, let refusal): return refusal?.isTransientFailure == true
        default: return false
        }
    }

    /// isPermanent is true when trying again with the same input will fail the same way:
    /// 5xx replies, invalid arguments, refused schemes, ACL and TLS trust failures.
    public var isPermanent: Bool {
        switch kind.storage {
        case .permanentError, .invalidArgument, .unsupportedScheme, .noSupportedScheme, .accessDenied,
            .cleartextAuthRefused, .tls, .authenticationFailed:
            return true
        case .tlsRequired(_, let refusal): return refusal?.isTransientFailure != true
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
        return prefix + kind.text + (detail.map { " (\($0))" } ?? "")
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
}

/// `5 s`, `2.5 s`: seconds as messages show them.
package func formatSeconds(_ seconds: Double) -> String {
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return "\(seconds) s"
}
