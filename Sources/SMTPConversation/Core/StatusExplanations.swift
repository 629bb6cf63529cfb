extension EnhancedStatusCode {
    /// What the code means by RFC 3463 / RFC 4954 / RFC 3207 (subject and detail), for people
    /// reading a transcript. A vendor's meaning, which depends on the reply's text and on what the
    /// client did, comes from `Reply.explanation(context:)`, which falls back to this.
    public var explanation: String? { Self.rfc["\(subject).\(detail)"] }

    static let rfc: [String: String] = [
        "0.0": "other or undefined status",
        "1.0": "other address status",
        "1.1": "bad destination mailbox address: no such user",
        "1.2": "bad destination system address",
        "1.3": "bad destination mailbox address syntax",
        "1.6": "destination mailbox has moved",
        "1.7": "bad sender's mailbox address syntax",
        "1.8": "bad sender's system address",
        "1.10": "recipient address has a null MX",
        "2.0": "other or undefined mailbox status",
        "2.1": "mailbox disabled, not accepting messages",
        "2.2": "mailbox full",
        "2.3": "message length exceeds the administrative limit",
        "3.0": "other or undefined mail system status",
        "3.4": "message too big for the system",
        "4.1": "no answer from host",
        "4.2": "bad connection",
        "4.4": "unable to route",
        "4.7": "delivery time expired",
        "5.0": "accepted",
        "5.1": "invalid command",
        "5.2": "syntax error",
        "5.3": "too many recipients",
        "5.4": "invalid command arguments",
        "6.3": "conversion required but not supported",
        "7.0": "other or undefined security or policy status: the text says which",
        "7.1": "delivery not authorized, message refused",
        "7.8": "authentication credentials invalid",
        "7.9": "authentication mechanism is too weak",
        "7.10": "encryption needed",
        "7.11": "encryption required for the requested authentication mechanism",
        "7.12": "a password transition is needed",
        "7.13": "user account disabled",
        "7.14": "trust relationship required",
        "7.15": "priority level is too low",
        "7.17": "mailbox owner has changed",
        "7.25": "reverse DNS validation failed",
        "7.26": "multiple authentication checks failed",
        "7.27": "sender address has a null MX",
    ]
}
