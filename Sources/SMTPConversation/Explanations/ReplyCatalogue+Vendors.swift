/// Gmail's, Postfix's and Exim's documented refusals, and the catalogue's order: the most
/// specific text first, vendor-neutral ones (a STARTTLS demand) before each vendor's
/// code-only fallback. The texts matched are quoted in `fixtures/replies/vendor-replies.txt`.
extension ReplyCatalogue {
    static let gmailPage = "https://support.google.com/a/answer/3726730"
    static let postfixSASL = "https://www.postfix.org/SASL_README.html"
    static let postfixTLS = "https://www.postfix.org/TLS_README.html"
    static let postfixConf = "https://www.postfix.org/postconf.5.html"
    static let eximACL = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-access_control_lists.html"
    static let eximSMTP = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-smtp_processing.html"

    /// Every entry, in the order they are tried.
    static let entries: [CatalogueEntry] = startTLS + office365 + gmail + authRequired + postfix + exim

    /// "Must issue a STARTTLS command first" (Postfix, Gmail): what to do depends on whether the
    /// client is already in TLS, and a client in TLS is never told to start it.
    static let startTLS: [CatalogueEntry] = [
        CatalogueEntry("starttls.required", "Postfix/Gmail", codes: [530], phrases: ["must issue a starttls command first"],
                       source: postfixTLS) { context in
            switch context.inTLS {
            case true?:
                return ("the server demands STARTTLS although this connection is already in TLS: something between the "
                    + "client and the server (a proxy or load balancer that ends TLS) or a server that lost the session's "
                    + "TLS state; starting TLS again would not help",
                    "connect to the server directly, or have its operator check the TLS-terminating proxy")
            case false?:
                return ("the server accepts this command only over TLS (smtpd_tls_security_level=encrypt or "
                    + "smtpd_tls_auth_only)", "starttls, then ehlo again, then repeat the command")
            case nil:
                return ("the server accepts this command only over TLS",
                    "if the connection is not in TLS yet: starttls and ehlo again; if it already is, a proxy between "
                    + "ends TLS before the server")
            }
        }
    ]

    /// True when the reply is Google's: its replies end with `gsmtp` and link
    /// support.google.com, and its servers are under gmail.com, googlemail.com and google.com.
    /// RFC 4954's "530 5.7.0 Authentication required" is every server's text, not Gmail's.
    static let fromGoogle: @Sendable (String, ReplyContext) -> Bool = { text, context in
        text.contains("gsmtp") || text.contains("support.google.com")
            || ["gmail.com", "googlemail.com", "google.com"].contains { context.hostIs(under: $0) }
    }

    static let gmail: [CatalogueEntry] = [
        CatalogueEntry("gmail.5.7.0.auth-required", "Gmail", codes: [530], status: "5.7.0", phrases: ["authentication required"],
                       sender: fromGoogle, source: gmailPage) { context in
            ("the server accepts mail only from an authenticated client, and this one had not authenticated",
             context.inTLS == false
                ? "start TLS (starttls, ehlo again; Gmail offers AUTH only over TLS), then authenticate (auth) before mail"
                : "authenticate (auth) before mail, with an app password or XOAUTH2")
        },
        CatalogueEntry("gmail.5.7.8", "Gmail", codes: [535], status: "5.7.8", phrases: ["username and password not accepted"],
                       source: gmailPage) { _ in
            ("Google refused the user name and password: a wrong password, or the account password used where an app "
                + "password is needed (2-Step Verification on)",
             "create an app password (https://myaccount.google.com/apppasswords) or use XOAUTH2 with scope https://mail.google.com/")
        },
        CatalogueEntry("gmail.5.7.9", "Gmail", codes: [534], status: "5.7.9", phrases: ["application-specific password required"],
                       source: gmailPage) { _ in
            ("the account has 2-Step Verification on, so its own password is not accepted for SMTP",
             "create an app password (https://myaccount.google.com/apppasswords) and authenticate with it, or use XOAUTH2")
        },
        CatalogueEntry("gmail.5.7.14", "Gmail", codes: [534], status: "5.7.14", phrases: ["log in"], source: gmailPage) { _ in
            ("Google blocked the sign-in as unusual (a new location or client) until someone signs in with a browser",
             "sign in to the account in a web browser from the same network and confirm the activity, then retry; "
                + "XOAUTH2 avoids the check")
        },
    ]

    /// RFC 4954's "530 5.7.0 Authentication required", as any server sends it (Postfix,
    /// aiosmtpd, Gmail when the reply is not known to be Google's).
    static let authRequired: [CatalogueEntry] = [
        CatalogueEntry("rfc4954.530.auth-required", "RFC 4954", codes: [530], phrases: ["authentication required"],
                       source: "https://www.rfc-editor.org/rfc/rfc4954#section-6") { context in
            ("the server accepts this command only from an authenticated client, and this one had not authenticated",
             context.inTLS == false
                ? "many servers offer AUTH only over TLS: starttls, ehlo again, then authenticate (auth) before mail"
                : "authenticate (auth) before mail")
        }
    ]

    static let postfix: [CatalogueEntry] = [
        CatalogueEntry("postfix.relay-denied", "Postfix", codes: [554, 454], phrases: ["relay access denied"], source: postfixConf) {
            context in
            (context.authenticated == true
                ? "the server does not relay for this authenticated user to this recipient (smtpd_relay_restrictions)"
                : "the server relays to other domains only for authenticated clients (permit_sasl_authenticated) or its own networks, and this client was neither",
             context.authenticated == true
                ? "ask the server's operator which senders and recipients this account may use"
                : "authenticate (auth) before mail; on Postfix, submission is normally port 587 with AUTH")
        },
        CatalogueEntry("postfix.auth-failed", "Postfix", codes: [535], phrases: ["authentication failed"], source: postfixSASL) { _ in
            ("the server's SASL backend (Dovecot or Cyrus) refused the user name and password",
             "check the user name (often the full address) and password; the server's log says more (warning: SASL authentication failed)")
        },
        CatalogueEntry("postfix.auth-not-enabled", "Postfix", codes: [503], phrases: ["authentication not enabled"], source: postfixSASL) { _ in
            ("AUTH is switched off on this port (smtpd_sasl_auth_enable=no): port 25 normally takes mail between servers without AUTH",
             "use the submission port (587, or 465 with secure_connection_before_smtp=true)")
        },
        CatalogueEntry("postfix.sender-not-owned", "Postfix", codes: [553, 554], phrases: ["sender address rejected", "not owned by user"],
                       source: postfixConf) { _ in
            ("the authenticated user may not use this sender address (smtpd_sender_login_maps, reject_sender_login_mismatch)",
             "send as an address the account owns, or have the operator add it to the sender login map")
        },
        CatalogueEntry("postfix.user-unknown", "Postfix", codes: [550], phrases: ["recipient address rejected", "user unknown"],
                       source: postfixConf) { _ in
            ("the recipient does not exist on the server", "check the recipient address")
        },
        CatalogueEntry("postfix.sender-domain-not-found", "Postfix", codes: [450, 550], phrases: ["sender address rejected", "domain not found"],
                       source: postfixConf) { _ in
            ("the server found no DNS record (MX or A) for the sender's domain (reject_unknown_sender_domain)",
             "send from a domain that resolves; a 450 is retried later, a DNS hiccup may pass")
        },
        CatalogueEntry("postfix.helo-fqdn", "Postfix", codes: [504, 450, 550], phrases: ["helo command rejected", "fully-qualified"],
                       source: postfixConf) { _ in
            ("the EHLO/HELO name is not a fully-qualified domain name (reject_non_fqdn_helo_hostname)",
             "ehlo with the client host's full name, e.g. ehlo client.example.com")
        },
        CatalogueEntry("postfix.size", "Postfix", codes: [552], phrases: ["message size exceeds fixed limit"], source: postfixConf) { _ in
            ("the message is larger than the server's message_size_limit", "send a smaller message (fewer or smaller attachments)")
        },
        CatalogueEntry("postfix.storage", "Postfix", codes: [452], phrases: ["insufficient system storage"], source: postfixConf) { _ in
            ("the server's queue file system is short of space (queue_minfree)", "nothing to change in the client: try again later")
        },
        CatalogueEntry("postfix.tls-unavailable", "Postfix", codes: [454], phrases: ["tls not available due to local problem"],
                       source: postfixTLS) { _ in
            ("the server offers STARTTLS but its own TLS set-up is broken (certificate or key unreadable)",
             "the server's operator must fix its TLS configuration; do not fall back to plaintext")
        },
        CatalogueEntry("postfix.too-many-connections", "Postfix", codes: [421], phrases: ["too many connections from"],
                       source: postfixConf) { _ in
            ("this client opened more connections than the server allows one client (smtpd_client_connection_count_limit)",
             "send over fewer connections at once; retry later")
        },
    ]

    static let exim: [CatalogueEntry] = [
        CatalogueEntry("exim.relay-not-permitted", "Exim", codes: [550], phrases: ["relay not permitted"], source: eximACL) { context in
            (context.authenticated == true
                ? "the server does not relay for this authenticated client to this recipient"
                : "the server relays only for authenticated clients or its own hosts, and this client was neither",
             context.authenticated == true ? "ask the server's operator" : "authenticate (auth) before mail")
        },
        CatalogueEntry("exim.auth-failed", "Exim", codes: [535], phrases: ["incorrect authentication data"], source: eximSMTP) { _ in
            ("the server refused the user name and password", "check both; the server's log says which authenticator refused")
        },
        CatalogueEntry("exim.auth-not-advertised", "Exim", codes: [503], phrases: ["auth command used when not advertised"], source: eximSMTP) {
            context in
            ("the server did not offer AUTH here",
             context.inTLS == false
                ? "many servers offer AUTH only after STARTTLS: starttls, ehlo again, then auth"
                : "use the server's submission port, where AUTH is offered")
        },
        CatalogueEntry("exim.unrouteable", "Exim", codes: [550], phrases: ["unrouteable address"], source: eximACL) { _ in
            ("the server cannot route the recipient's address (no such domain, or not one it handles)", "check the recipient address")
        },
        CatalogueEntry("exim.too-many-connections", "Exim", codes: [421], phrases: ["too many concurrent smtp connections"], source: eximSMTP) { _ in
            ("the server reached its limit of simultaneous connections (smtp_accept_max)", "retry later, over fewer connections")
        },
        CatalogueEntry("exim.tls-unavailable", "Exim", codes: [454], phrases: ["tls currently unavailable"], source: eximSMTP) { _ in
            ("the server offers STARTTLS but cannot start TLS now (its certificate or key failed to load)",
             "the server's operator must fix its TLS set-up; do not fall back to plaintext")
        },
        CatalogueEntry("exim.administrative-prohibition", "Exim", codes: [550], phrases: ["administrative prohibition"], source: eximACL) { _ in
            ("an ACL of the server refused the command without a more specific message", "ask the server's operator; its log names the ACL")
        },
    ]
}
