/// ReplyCodeMeanings gives what a basic reply code means by RFC 5321 (and the AUTH and STARTTLS
/// extensions' codes, RFC 4954 and RFC 3207): the last fallback of `ReplyCatalogue.explain`, for a
/// refusal that carries neither a known text nor an enhanced status code (`535 x`).
enum ReplyCodeMeanings {
    /// The meaning of a 4xx/5xx code, nil for one no RFC names.
    static func meaning(of code: Int) -> (source: String, cause: String)? {
        guard let cause = table[code] else { return nil }
        let source = [454, 530, 534, 535, 538].contains(code)
            ? "https://www.rfc-editor.org/rfc/rfc4954" : "https://www.rfc-editor.org/rfc/rfc5321#section-4.2.3"
        return (source, cause)
    }

    static let table: [Int: String] = [
        421: "the service is not available and the server is closing the connection (often a temporary limit or shutdown)",
        450: "mailbox unavailable for now (busy, or a temporary policy block): try again later",
        451: "the action was aborted by a local error in processing: try again later",
        452: "insufficient system storage, or too many recipients for this transaction",
        454: "temporary failure: TLS not available for now (RFC 3207), or a temporary authentication failure (RFC 4954)",
        455: "the server cannot accommodate the parameters for now",
        500: "syntax error: command not recognised, or the line is too long",
        501: "syntax error in the command's parameters or arguments",
        502: "command not implemented",
        503: "bad sequence of commands (e.g. RCPT before MAIL, or AUTH twice)",
        504: "command parameter not implemented",
        530: "authentication required before this command",
        534: "the authentication mechanism is too weak for this server",
        535: "authentication credentials invalid",
        538: "encryption (TLS) required for the requested authentication mechanism",
        550: "mailbox unavailable (not found, no access, or refused by policy): the text says which",
        551: "user not local: the server will not forward",
        552: "exceeded storage allocation (message too large or mailbox full)",
        553: "mailbox name not allowed (syntax of the address)",
        554: "transaction failed (a policy refusal, or no SMTP service here)",
        555: "MAIL FROM/RCPT TO parameters not recognised or not implemented",
    ]
}
