import SMTPConversation

/// WalletCredential is a named secret kept in the wallet (Oracle's "secure external password
/// store"): an alias, a user name, and one of a password, an OAuth2 client secret, an OAuth2
/// refresh token, a client certificate (the wallet's client identity signs the assertion) or a
/// token command; plus, for OAuth2, the tenant, client id and authority that issue tokens.
///
/// Credentials live in `ewallet.p12` as PKCS#12 secret bags, encrypted with the wallet's
/// password (an auto-login wallet's are protected by the file mode, like Oracle's
/// `cwallet.sso`); never in `manifest.json`. `description` never shows the secret.
public struct WalletCredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Kind says what the secret is and so how a token (or password) is obtained.
    public enum Kind: String, Sendable, CaseIterable {
        /// A password for AUTH PLAIN/LOGIN/CRAM-MD5.
        case password
        /// An OAuth2 client secret: the client credentials flow (unattended sending).
        case clientSecret = "client-secret"
        /// An OAuth2 refresh token (from the device code flow); rotated on every use.
        case refreshToken = "refresh-token"
        /// The client credentials flow with a signed JWT assertion made with the wallet's
        /// client identity (certificate and key); the secret is empty.
        case clientCertificate = "client-certificate"
        /// A command that prints an access token (`az account get-access-token …`, a vault);
        /// the command line is kept in `tokenCommand`, the secret is empty.
        case tokenCommand = "token-command"
        /// A user of `mail-queue relay`: the secret is the password's salted slow hash
        /// (`RelayPassword`), never the password; `allowFrom` and `upstream` say what it may send.
        case relayUser = "relay-user"

        /// True for the kinds that give an OAuth2 access token (XOAUTH2).
        public var isOAuth2: Bool { self != .password && self != .relayUser }

        /// True for the kinds that ask the identity platform for tokens themselves, and so need
        /// the tenant and the client id.
        public var needsTenantAndClientID: Bool { self == .clientSecret || self == .refreshToken || self == .clientCertificate }
    }

    /// True when `alias` can name a credential: letters, digits, '-', '_', '.' or '@' (ASCII), not empty.
    public static func isValidAlias(_ alias: String) -> Bool {
        !alias.isEmpty && alias.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }
    }

    /// The name scripts and the queue use: `auth credential=ALIAS`.
    public var alias: String
    /// The user name AUTH sends (for Office365, the mailbox address).
    public var username: String
    /// What `secret` is.
    public var kind: Kind
    /// The password, client secret or refresh token (hidden from `description` and `dump`; read
    /// with `revealed` only to send it).
    public var secret: SecretText
    /// The Entra ID (Azure AD) tenant: a GUID or a domain such as `contoso.onmicrosoft.com`.
    public var tenant: String?
    /// The application (client) id registered in the tenant.
    public var clientID: String?
    /// The identity platform's base URL; nil means `https://login.microsoftonline.com`.
    public var authority: String?
    /// The scope requested; nil means the usual one for the kind.
    public var scope: String?
    /// For `.tokenCommand`: the shell command that prints the token.
    public var tokenCommand: String?
    /// For `.relayUser`: the envelope senders it may use, each an address or `@domain`;
    /// empty means only its own user name.
    public var allowFrom: [String]
    /// For `.relayUser`: the alias of the credential that sends upstream for it; nil means the
    /// relay's default.
    public var upstream: String?
    /// For `.relayUser`, only when asked for (`--cram-md5`): the HMAC-MD5 context CRAM-MD5
    /// checks against (`RelayCramMD5`); password-equivalent for CRAM-MD5, so hidden like `secret`.
    public var cramMD5Context: SecretText?
    /// When the credential was stored or last rotated, seconds since 1970.
    public var updated: Double

    /// Creates a credential.
    public init(alias: String, username: String, kind: Kind, secret: String, tenant: String? = nil,
                clientID: String? = nil, authority: String? = nil, scope: String? = nil,
                tokenCommand: String? = nil, allowFrom: [String] = [], upstream: String? = nil,
                cramMD5Context: String? = nil, updated: Double = WallClock.now()) {
        self.alias = alias
        self.username = username
        self.kind = kind
        self.secret = SecretText(secret)
        self.tenant = tenant
        self.clientID = clientID
        self.authority = authority
        self.scope = scope
        self.tokenCommand = tokenCommand
        self.allowFrom = allowFrom
        self.upstream = upstream
        self.cramMD5Context = cramMD5Context.map { SecretText($0) }
        self.updated = updated
    }

    /// `o365: user@example.com, client-secret (tenant …, client …), secret: <redacted>`.
    public var description: String {
        var parts = ["\(alias): \(username.isEmpty ? "(no user name)" : username)", kind.rawValue]
        var oauth: [String] = []
        if let tenant { oauth.append("tenant \(tenant)") }
        if let clientID { oauth.append("client \(clientID)") }
        if let authority { oauth.append("authority \(authority)") }
        if !oauth.isEmpty { parts[1] += " (" + oauth.joined(separator: ", ") + ")" }
        if kind == .relayUser {
            parts.append("allow-from \(allowedSenders.joined(separator: "|"))")
            parts.append("upstream \(upstream ?? "(the relay's default)")")
            if cramMD5Context != nil { parts.append("CRAM-MD5 context: <redacted>") }
        }
        if !secret.isEmpty { parts.append(kind == .relayUser ? "password hash: <redacted>" : "secret: <redacted>") }
        return parts.joined(separator: ", ")
    }

    /// Same as `description`: the secret is never shown.
    public var debugDescription: String { description }

    /// Checks that the alias is usable and the fields the kind needs are present.
    /// - Throws: `WalletError.invalidArgument` naming what is missing.
    public func validate() throws(WalletError) {
        guard Self.isValidAlias(alias) else {
            throw WalletError(.invalidArgument, "the credential alias '\(alias)' must be letters, digits, '-', '_', '.' or '@'")
        }
        switch kind {
        case .password, .clientSecret, .refreshToken:
            guard !secret.isEmpty else { throw WalletError(.invalidArgument, "credential \(alias): the \(kind.rawValue) is empty") }
        case .tokenCommand:
            guard let command = tokenCommand, !command.isEmpty else {
                throw WalletError(.invalidArgument, "credential \(alias): a token-command credential needs the command")
            }
        case .clientCertificate:
            break
        case .relayUser:
            // The password itself must never be stored: only its hash.
            guard RelayPassword.isHash(secret.revealed) else {
                throw WalletError(.invalidArgument, "credential \(alias): a relay-user credential keeps only a password hash (\(RelayPassword.scheme))")
            }
            for pattern in allowFrom where !Self.isValidSenderPattern(pattern) {
                throw WalletError(.invalidArgument, "credential \(alias): --allow-from '\(pattern)' is neither an address (user@domain) nor @domain")
            }
            if let context = cramMD5Context, !RelayCramMD5.isContext(context.revealed) {
                throw WalletError(.invalidArgument, "credential \(alias): the CRAM-MD5 context is not \(RelayCramMD5.scheme) and 64 hex digits")
            }
            if let upstream, !Self.isValidAlias(upstream) {
                throw WalletError(.invalidArgument, "credential \(alias): the upstream alias '\(upstream)' must be letters, digits, '-', '_', '.' or '@'")
            }
        }
        if kind != .relayUser && cramMD5Context != nil {
            throw WalletError(.invalidArgument, "credential \(alias): only a relay-user keeps a CRAM-MD5 context")
        }
        if kind.needsTenantAndClientID {
            guard tenant?.isEmpty == false, clientID?.isEmpty == false else {
                throw WalletError(.invalidArgument, "credential \(alias): a \(kind.rawValue) credential needs the tenant and the client id")
            }
        }
    }

    /// The login name of a relay user: its user name, else its alias.
    public var loginName: String { username.isEmpty ? alias : username }

    /// The envelope senders a relay user may use: `allowFrom`, or its own login name.
    public var allowedSenders: [String] { allowFrom.isEmpty ? [loginName] : allowFrom }

    /// True when a relay user may use `sender` as the envelope sender (MAIL FROM). Addresses
    /// compare without case in the domain and exactly in the local part; `@domain` allows every
    /// address at that domain (not its subdomains).
    public func allowsSender(_ sender: String) -> Bool {
        guard let at = sender.lastIndex(of: "@") else { return false }
        let local = sender[..<at]
        let domain = sender[sender.index(after: at)...].lowercased()
        guard !local.isEmpty, !domain.isEmpty else { return false }
        for pattern in allowedSenders {
            guard let patternAt = pattern.lastIndex(of: "@") else { continue }
            let patternLocal = pattern[..<patternAt]
            let patternDomain = pattern[pattern.index(after: patternAt)...].lowercased()
            if patternDomain == domain && (patternLocal.isEmpty || patternLocal == local) { return true }
        }
        return false
    }

    /// True for `user@domain` or `@domain` with no spaces, brackets or control characters.
    public static func isValidSenderPattern(_ pattern: String) -> Bool {
        guard let at = pattern.lastIndex(of: "@"), pattern.index(after: at) < pattern.endIndex else { return false }
        return !pattern.contains { $0 == " " || $0 == "<" || $0 == ">" || $0 == "|" || $0.asciiValue.map { $0 < 0x20 } == true }
    }
}
