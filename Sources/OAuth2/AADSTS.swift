/// AADSTS maps the Microsoft identity platform's error codes to what they mean and what the
/// user can do about them. The platform's own `error_description` is long (trace and
/// correlation ids) and sometimes misleading; these sentences say which setting to change.
public enum AADSTS {
    /// What one code means.
    public struct Explanation: Sendable {
        /// The error kind it maps to.
        public let kind: OAuth2Error.Kind
        /// The meaning and the action, one sentence each.
        public let text: String
    }

    /// The explanation of `code`, nil for codes not listed.
    public static func explain(_ code: Int) -> Explanation? { table[code] }

    static let table: [Int: Explanation] = [
        7000215: .init(kind: .invalidClient, text: "invalid client secret. Use the secret's Value (not its Secret ID) from the app registration's Certificates & secrets, and store it again with `smtp-wallet credential add`."),
        7000222: .init(kind: .invalidClient, text: "the client secret has expired. Create a new one under Certificates & secrets and store it with `smtp-wallet credential add`."),
        7000218: .init(kind: .invalidClient, text: "the app is a confidential client but no secret or certificate was sent. Use a client-secret or client-certificate credential, or enable 'Allow public client flows' for the device code flow."),
        700027: .init(kind: .invalidClient, text: "the client assertion's signature did not verify: the certificate in the wallet is not the one uploaded to the app registration (Certificates & secrets)."),
        700024: .init(kind: .invalidClient, text: "the client assertion is outside its valid time range: check this host's clock."),
        700016: .init(kind: .applicationNotFound, text: "no application with this client id in the tenant. Check the client id, and that the app is registered in this tenant or an administrator consented to it there."),
        90002: .init(kind: .tenantNotFound, text: "tenant not found. Check the tenant id or domain (e.g. contoso.onmicrosoft.com); a tenant without an active subscription is also not found."),
        900023: .init(kind: .tenantNotFound, text: "the tenant is neither a valid GUID nor a valid domain name. Check the tenant."),
        65001: .init(kind: .consentRequired, text: "consent missing: no user or administrator has consented to the app's permissions. Grant admin consent for SMTP.Send (delegated) or SMTP.SendAsApp (application) under API permissions."),
        50126: .init(kind: .invalidGrant, text: "invalid user name or password."),
        50034: .init(kind: .invalidGrant, text: "the user account does not exist in the tenant. Check the user name."),
        50076: .init(kind: .invalidGrant, text: "multi-factor authentication is required. Sign in with the device code flow (`smtp-wallet credential add --kind refresh-token --device-code`)."),
        50079: .init(kind: .invalidGrant, text: "the user must enrol in multi-factor authentication. Sign in interactively once, then use the device code flow."),
        53003: .init(kind: .invalidGrant, text: "a Conditional Access policy blocked the sign-in. Ask the tenant's administrator."),
        70008: .init(kind: .invalidGrant, text: "the refresh token has expired or was revoked. Sign in again with the device code flow."),
        700082: .init(kind: .invalidGrant, text: "the refresh token expired after 90 days without use. Sign in again with the device code flow."),
        54005: .init(kind: .invalidGrant, text: "the authorization code or refresh token was already redeemed."),
        70011: .init(kind: .invalidScope, text: "invalid scope. Client credentials use https://outlook.office365.com/.default; a person uses https://outlook.office.com/SMTP.Send offline_access."),
        70019: .init(kind: .expiredToken, text: "the device code expired before anyone signed in. Start again and sign in within the time shown."),
        70016: .init(kind: .server, text: "authorization is pending: the user has not signed in yet."),
        7000112: .init(kind: .applicationNotFound, text: "the application is disabled. Ask the tenant's administrator to enable it."),
        500011: .init(kind: .consentRequired, text: "the resource (Office 365 Exchange Online) was not found in the tenant: the tenant has no Exchange Online, or nobody consented to the app there."),
    ]

    /// The hint for an XOAUTH2 refusal of an app-only (client credentials) token.
    public static let sendAsAppHint = "if the token is app-only (client credentials): grant the application permission "
        + "Office 365 Exchange Online › SMTP.SendAsApp with admin consent, register the app's service principal in Exchange "
        + "Online (New-ServicePrincipal) and give it the mailbox (Add-MailboxPermission); and check SMTP AUTH is enabled "
        + "for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false)"
}
