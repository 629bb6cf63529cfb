/// Office365 (Exchange Online) replies to client submission on smtp.office365.com, as Microsoft
/// documents them. The texts these entries match are quoted in
/// `fixtures/replies/vendor-replies.txt` with their sources.
extension ReplyCatalogue {
    static let smtpAuthPage = "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
    static let oauthPage = "https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth"
    static let submissionLimitsPage = "https://learn.microsoft.com/en-us/exchange/troubleshoot/send-emails/smtp-submission-improvements"
    static let ndr700Page = "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/fix-error-code-5-7-700-through-5-7-750"
    static let multifunctionPage = "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365"
    static let basicAuthRetirementPage = "https://techcommunity.microsoft.com/t5/exchange-team-blog/exchange-online-to-retire-basic-auth-for-client-submission-smtp/ba-p/4114750"

    /// The per-mailbox SMTP AUTH switch and how it inherits, said once.
    static let mailboxSwitch = "Get-CASMailbox -Identity MAILBOX | Format-List SmtpClientAuthenticationDisabled must show False "
        + "(or empty, $null, which inherits the tenant's Get-TransportConfig setting); set it with "
        + "Set-CASMailbox -Identity MAILBOX -SmtpClientAuthenticationDisabled $false"

    /// How to check and set SMTP AUTH for one mailbox (`SmtpClientAuthenticationDisabled`, where
    /// `$null` inherits the tenant's setting), for advice given outside the catalogue.
    public static var mailboxSwitchAdvice: String { mailboxSwitch }

    static let office365: [CatalogueEntry] = [
        CatalogueEntry("office365.5.7.3", "Office365", codes: [535], status: "5.7.3", source: oauthPage) { context in
            let oauth = "the token is for another audience (aud must be https://outlook.office365.com, not Microsoft Graph), "
                + "an app-only token lacks the SMTP.SendAsApp role (a delegated one lacks SMTP.Send in scp), the token is from "
                + "another tenant or has expired, the app's service principal is not registered in Exchange Online "
                + "(New-ServicePrincipal with the enterprise application's object id) or has no Add-MailboxPermission on "
                + "this mailbox, or SMTP AUTH is disabled for the mailbox"
            let oauthFix = "run `smtp-wallet credential test ALIAS` to check the token's claims offline (add --smtp HOST:PORT "
                + "to try it); compare the oid it prints with Get-ServicePrincipal; " + mailboxSwitch
            if context.usedOAuth2 {
                return ("Exchange Online refused the OAuth2 token without saying why; the usual causes: " + oauth, oauthFix)
            }
            if context.usedPassword {
                return ("Exchange Online refused the user name and password: a wrong password, an account that needs MFA, "
                    + "or SMTP AUTH disabled for the mailbox",
                    "check the password and " + mailboxSwitch + "; Basic authentication for SMTP AUTH is being retired "
                    + "(550 5.7.30), so move to XOAUTH2")
            }
            return ("Exchange Online refused the credentials without saying why: with a password, a wrong password or "
                + "SMTP AUTH disabled for the mailbox; with XOAUTH2: " + oauth, oauthFix)
        },
        CatalogueEntry("office365.5.7.139.tenant", "Office365", status: "5.7.139",
                       phrases: ["smtpclientauthentication is disabled for the tenant"], source: smtpAuthPage) { _ in
            ("SMTP AUTH is turned off for the whole organisation (Set-TransportConfig -SmtpClientAuthenticationDisabled "
                + "$true, the default for new tenants)",
             "enable it for this mailbox only (a mailbox's own setting overrides the tenant's): Set-CASMailbox -Identity "
                + "MAILBOX -SmtpClientAuthenticationDisabled $false")
        },
        CatalogueEntry("office365.5.7.139.basic", "Office365", status: "5.7.139",
                       phrases: ["basic authentication is disabled"], source: smtpAuthPage) { _ in
            ("Basic authentication (a password with AUTH LOGIN or PLAIN) is blocked for this user, e.g. by an "
                + "authentication policy without AllowBasicAuthSmtp; SMTP AUTH itself may be on",
             "authenticate with OAuth2 (XOAUTH2): `smtp-wallet credential add ALIAS --kind client-secret …` and "
                + "`auth credential=ALIAS`")
        },
        CatalogueEntry("office365.5.7.139.security-defaults", "Office365", status: "5.7.139",
                       phrases: ["security defaults"], source: smtpAuthPage) { _ in
            ("Microsoft Entra security defaults are on for the tenant, and they block SMTP AUTH with a password "
                + "(legacy authentication)",
             "use OAuth2 (XOAUTH2), which security defaults allow; or replace security defaults with Conditional Access "
                + "policies that exclude this mailbox")
        },
        CatalogueEntry("office365.5.7.139.criteria", "Office365", status: "5.7.139",
                       phrases: ["did not meet the criteria"], source: smtpAuthPage) { _ in
            ("the sign-in was refused by a policy: a Conditional Access policy, a required MFA, or a risky sign-in, "
                + "not the password itself",
             "look at the Entra sign-in logs for this user (client app: Authenticated SMTP) to see which policy failed; "
                + "and check " + mailboxSwitch)
        },
        CatalogueEntry("office365.5.7.139", "Office365", status: "5.7.139", source: smtpAuthPage) { _ in
            ("SMTP AUTH is refused for this tenant or mailbox (SmtpClientAuthentication disabled, Basic authentication "
                + "blocked, security defaults or a Conditional Access policy)",
             "read the rest of the reply for which one; " + mailboxSwitch)
        },
        CatalogueEntry("office365.5.7.57", "Office365", status: "5.7.57", phrases: ["not authenticated"], source: multifunctionPage) {
            context in
            if context.authenticated == true {
                return ("the server says the client is not authenticated although AUTH succeeded on this connection: "
                    + "the submission endpoint did not keep the session's authentication",
                    "reconnect and authenticate again; if it persists, check " + mailboxSwitch)
            }
            return ("MAIL FROM was sent before a successful AUTH: smtp.office365.com (port 587) accepts mail only from an "
                + "authenticated client",
                context.inTLS == false
                    ? "start TLS (starttls, ehlo again), then authenticate (auth) before mail"
                    : "authenticate (auth) before mail; if AUTH failed, fix that first")
        },
        CatalogueEntry("office365.5.7.60", "Office365", status: "5.7.60", phrases: ["send as this sender"], source: multifunctionPage) { _ in
            ("the authenticated mailbox has no Send As permission for the MAIL FROM (or From:) address",
             "send from the authenticated mailbox's own address, or grant it: Add-RecipientPermission -Identity SENDER "
                + "-Trustee MAILBOX -AccessRights SendAs")
        },
        CatalogueEntry("office365.5.7.30", "Office365", status: "5.7.30", phrases: ["basic authentication is not supported"],
                       source: basicAuthRetirementPage) { _ in
            ("Exchange Online no longer accepts Basic authentication (a password) for client submission (SMTP AUTH)",
             "authenticate with OAuth2 (XOAUTH2): `smtp-wallet credential add ALIAS --kind client-secret …` (app-only, "
                + "SMTP.SendAsApp) or --kind refresh-token --device-code (a person, SMTP.Send)")
        },
        CatalogueEntry("office365.4.3.2.concurrent", "Office365", status: "4.3.2", phrases: ["concurrent connection"],
                       source: submissionLimitsPage) { _ in
            ("more than three connections are submitting for this mailbox at the same time (Exchange Online allows "
                + "three concurrent connections per mailbox)",
             "send over at most three connections per mailbox (e.g. fewer mail-queue senders for this credential); the "
                + "refused message can be retried later")
        },
        CatalogueEntry("office365.4.3.2.thread", "Office365", status: "4.3.2", phrases: ["sender thread limit exceeded"],
                       source: submissionLimitsPage) { _ in
            ("more than three connections are submitting for this mailbox at the same time (sender thread limit)",
             "send over at most three connections per mailbox; the refused message can be retried later")
        },
        CatalogueEntry("office365.4.3.2.not-active", "Office365", codes: [421], status: "4.3.2", phrases: ["service not active"],
                       source: submissionLimitsPage) { _ in
            ("the server is closing the connection because it is going out of service (restart, maintenance or load "
                + "balancing), not because of anything the client sent",
             "reconnect and send again; nothing needs changing")
        },
        CatalogueEntry("office365.5.2.0.send-as", "Office365", status: "5.2.0", phrases: ["sendasdenied"], source: multifunctionPage) { _ in
            ("Exchange Online refused to submit the message because the authenticated mailbox may not send as the "
                + "message's sender (MAIL FROM or From: names another mailbox)",
             "use the authenticated mailbox's address as sender and From:, or grant Send As: Add-RecipientPermission "
                + "-Identity SENDER -Trustee MAILBOX -AccessRights SendAs (app-only tokens: Add-MailboxPermission for the "
                + "service principal on SENDER)")
        },
        CatalogueEntry("office365.5.2.0.quota", "Office365", status: "5.2.0", phrases: ["submissionquotaexceeded"],
                       source: submissionLimitsPage) { _ in
            ("the mailbox exceeded Exchange Online's recipient rate limit: 10,000 recipients in 24 hours",
             "wait until the rolling 24 hours have passed, spread the mail over several mailboxes, or send bulk mail "
                + "through a service meant for it")
        },
        CatalogueEntry("office365.5.7.708", "Office365", status: "5.7.708", phrases: ["traffic not accepted from this ip"],
                       source: ndr700Page) { _ in
            ("Exchange Online does not accept mail from the sending IP address (its reputation is low, often a new or "
                + "trial tenant's shared outbound address)",
             "an administrator asks for delisting (https://sender.office.com) or Microsoft support; the client cannot fix it")
        },
        CatalogueEntry("office365.5.7.750", "Office365", status: "5.7.750", phrases: ["unregistered domain"], source: ndr700Page) { _ in
            ("the tenant sent mail from domains that are not accepted (verified) domains of the tenant, so it is "
                + "blocked from sending",
             "add and verify the sender's domain in the Microsoft 365 admin center (Settings › Domains), then ask "
                + "Microsoft support to lift the block")
        },
        CatalogueEntry("office365.5.1.10", "Office365", status: "5.1.10", source: nil) { _ in
            ("the recipient's organisation (Exchange Online) has no such address", "check the recipient address")
        },
        CatalogueEntry("office365.5.4.1", "Office365", status: "5.4.1", source: nil) { _ in
            ("the recipient's domain does not accept this address here (access denied; often a domain not yet fully set up in its tenant)",
             "check the recipient address; the recipient's administrator checks the domain's accepted-domain setting")
        },
        CatalogueEntry("office365.4.7.500", "Office365", status: "4.7.500", source: nil) { _ in
            ("the server is busy or access is denied for a while", "try again later")
        },
    ]
}
