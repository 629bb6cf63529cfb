extension EnhancedStatusCode {
    /// What the code means in words, for people reading a transcript: the codes Office365 users
    /// search for first, then RFC 3463 / RFC 4954 / RFC 3207 by subject and detail.
    public var explanation: String? {
        if let specific = Self.office365[description] { return specific }
        return Self.rfc["\(subject).\(detail)"]
    }

    static let office365: [String: String] = [
        "5.7.139": "SMTP AUTH is disabled for the tenant or mailbox (Office365 SmtpClientAuthentication), or Basic authentication is blocked; use OAuth2 (XOAUTH2) or enable SMTP AUTH for the mailbox",
        "5.7.3": "authentication unsuccessful: wrong user name or password, Basic authentication turned off, or MFA/security defaults blocking SMTP AUTH",
        "5.7.57": "client not authenticated to send mail: authenticate (AUTH) before MAIL FROM on port 587",
        "5.7.60": "SendAsDenied: the authenticated user may not send as the From/MAIL FROM address",
        "5.7.708": "access denied: the tenant's traffic is not accepted from this IP address (reputation)",
        "5.7.750": "client blocked from sending from unregistered domains",
        "5.1.10": "recipient not found (Office365): the address does not exist in the recipient's organisation",
        "5.4.1": "recipient address rejected: access denied (the recipient domain does not accept it here)",
        "4.7.500": "server busy or access temporarily denied; try again later",
        "5.7.1": "delivery not authorized, message refused (policy or permission)",
        "5.2.2": "mailbox full",
    ]

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
        "7.0": "other or undefined security status (e.g. must issue STARTTLS first)",
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
