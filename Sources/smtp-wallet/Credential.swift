import ArgumentParser
import Foundation
import OAuth2
import TrustStore

/// `smtp-wallet credential add|list|remove`: named credentials kept encrypted in the wallet.
struct Credential: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep named credentials (passwords, OAuth2 client secrets, refresh tokens) in the wallet.",
        discussion: """
            A credential is an alias for a user name plus a secret, stored encrypted inside ewallet.p12 \
            (never in manifest.json). Scripts say `auth credential=ALIAS`, so no password sits in a script \
            or a config file. `list` never shows a secret.
            """,
        subcommands: [CredentialAdd.self, CredentialList.self, CredentialRemove.self, CredentialTest.self])
}

/// `smtp-wallet credential add ALIAS`.
struct CredentialAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Store (or replace) a credential.",
        discussion: """
            Kinds: password (AUTH LOGIN/PLAIN), client-secret (OAuth2 client credentials, for the \
            unattended queue), refresh-token (OAuth2, e.g. from a device code sign-in; rotated on use), \
            client-certificate (OAuth2 client credentials signed with the wallet's client identity), \
            token-command (a command that prints an access token; give it with --command; it runs without \
            MAIL_QUEUE_WALLET_PASSWORD, MAIL_QUEUE_SMTP_PASSWORD, WALLET_PASSWORD, SMTP_PASSWORD or any variable \
            holding the wallet password in its environment, and with SMTP_OAUTH_USERNAME), \
            relay-user (a user of `mail-queue relay`: only a salted PBKDF2-SHA256 hash of the password is kept; \
            --allow-from says which envelope senders it may use, default its own user name; --upstream names \
            the credential already in the wallet that sends for it, default the relay's --credential-alias; \
            --cram-md5 also keeps the HMAC-MD5 context CRAM-MD5 needs).
            The secret comes from --secret-env NAME, --secret-file FILE or a prompt without echo; \
            never from the command line unless you add --insecure-secret-on-command-line.
            Example: smtp-wallet credential add o365 -w ./wallet --kind client-secret \
            --username sender@contoso.com --tenant contoso.onmicrosoft.com --client-id 1111-… --secret-env O365_SECRET
            Example: smtp-wallet credential add app@contoso.com -w ./wallet --kind relay-user \
            --allow-from '@contoso.com' --upstream o365 --secret-env APP_PASSWORD
            """)

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Argument(help: "The credential's name, used as credential=ALIAS.")
    var alias: String

    @Option(help: ArgumentHelp("What the secret is: \(WalletCredential.Kind.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "KIND"))
    var kind: String = WalletCredential.Kind.password.rawValue

    @Option(help: "The user name AUTH sends (for Office365, the mailbox address).")
    var username: String = ""

    @Option(help: "OAuth2: the tenant (GUID or domain); needed by client-secret, refresh-token and client-certificate.")
    var tenant: String?

    @Option(name: .customLong("client-id"), help: "OAuth2: the application (client) id; needed with --tenant.")
    var clientID: String?

    @Option(help: ArgumentHelp("OAuth2: the identity platform's base URL (default https://login.microsoftonline.com).", valueName: "URL"))
    var authority: String?

    @Option(help: "OAuth2: the scope to request, if not the usual one.")
    var scope: String?

    @Option(help: ArgumentHelp("token-command: the shell command that prints an access token.", valueName: "COMMAND"))
    var command: String?

    @Option(name: .customLong("allow-from"), parsing: .singleValue, help: ArgumentHelp(
        "relay-user: an envelope sender it may use, 'user@domain' or '@domain'; 'a|b' gives several; repeatable (default: its own user name).",
        valueName: "ADDR|@DOMAIN"))
    var allowFrom: [String] = []

    @Option(help: ArgumentHelp("relay-user: the alias of the credential that sends upstream for it (default: the relay's --credential-alias).", valueName: "ALIAS"))
    var upstream: String?

    @Flag(name: .customLong("cram-md5"), help: """
        relay-user: also keep the HMAC-MD5 context CRAM-MD5 needs (Dovecot's {CRAM-MD5} form), so the relay can offer \
        CRAM-MD5, which UTL_SMTP prefers. It is password-equivalent for CRAM-MD5 (not the password itself); \
        the relay offers CRAM-MD5 only when every relay user has it.
        """)
    var cramMD5 = false

    @OptionGroup var secret: SecretOptions

    @Flag(name: .customLong("device-code"), help: "With --kind refresh-token: sign in now with the device code flow and keep the refresh token.")
    var deviceCode = false

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("With --device-code: trust this CA for the authority instead of the system's.", valueName: "PEM"))
    var caFile: String?

    func validate() throws {
        guard let parsed = WalletCredential.Kind(rawValue: kind) else {
            throw ValidationError("--kind must be one of \(WalletCredential.Kind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(kind)'")
        }
        // Checked here, before any prompt, so that they are usage errors (exit 2) like the others.
        if !WalletCredential.isValidAlias(alias) {
            throw ValidationError("the alias '\(alias)' must be letters, digits, '-', '_', '.' or '@'")
        }
        if parsed.needsTenantAndClientID {
            let missing = [(tenant, "--tenant"), (clientID, "--client-id")].filter { $0.0?.isEmpty ?? true }.map(\.1)
            if !missing.isEmpty { throw ValidationError("--kind \(kind) needs \(missing.joined(separator: " and "))") }
        }
        if parsed == .tokenCommand && command == nil { throw ValidationError("--kind token-command needs --command") }
        if parsed != .relayUser && (!allowFrom.isEmpty || upstream != nil || cramMD5) {
            throw ValidationError("--allow-from, --upstream and --cram-md5 go with --kind relay-user")
        }
        for pattern in allowedSenders where !WalletCredential.isValidSenderPattern(pattern) {
            throw ValidationError("--allow-from '\(pattern)' is neither an address (user@domain) nor @domain")
        }
        if let upstream, !WalletCredential.isValidAlias(upstream) {
            throw ValidationError("--upstream '\(upstream)' must be letters, digits, '-', '_', '.' or '@'")
        }
        if parsed != .tokenCommand && command != nil { throw ValidationError("--command goes with --kind token-command") }
        if deviceCode && (parsed != .refreshToken || tenant == nil || clientID == nil) {
            throw ValidationError("--device-code goes with --kind refresh-token, --tenant and --client-id")
        }
    }

    /// `--allow-from` values with `a|b` split.
    var allowedSenders: [String] {
        allowFrom.flatMap { $0.split(separator: "|").map { String($0).trimmingCharacters(in: .whitespaces) } }
    }

    func run() throws {
        try Failure.guarding {
            let kind = WalletCredential.Kind(rawValue: kind)!
            let walletSecret = try password.forOpening(wallet.path)
            if deviceCode, let tenant, let clientID {
                let stored = try WalletTokens.signIn(
                    alias: alias, username: username, tenant: tenant, clientID: clientID, authority: authority,
                    scope: scope ?? IdentityPlatform.delegatedScope, walletPath: wallet.path, walletPassword: walletSecret,
                    settings: .init(http: HTTPSClient(caFile: caFile))) { prompt in Output.note(prompt.message) }
                Output.line("signed in; stored credential \(stored)")
                return
            }
            var value = kind == .tokenCommand || kind == .clientCertificate ? "" : try secret.read(for: alias, kind: kind)
            var cramContext: String?
            if kind == .relayUser {
                // Only the hash (and, when asked, the CRAM-MD5 context) is kept; the password itself
                // goes no further than these lines.
                if cramMD5 { cramContext = RelayCramMD5.context(value) }
                value = try RelayPassword.hash(value)
            }
            let credential = WalletCredential(
                alias: alias, username: username, kind: kind, secret: value, tenant: tenant, clientID: clientID,
                authority: authority, scope: scope, tokenCommand: command, allowFrom: allowedSenders, upstream: upstream,
                cramMD5Context: cramContext)
            let replaced = try Wallet.modify(wallet.path, password: walletSecret, hooks: WalletAccess.hooks) { wallet throws(WalletError) in
                let existed = wallet.credentials.contains { $0.alias == credential.alias }
                if kind == .relayUser, let upstream = credential.upstream {
                    // A typo here would only show when the relay starts (or, with --no-send, when a
                    // sender elsewhere never picks the user's mail up): refused now instead.
                    try RelayUpstream.check(upstream, in: wallet, for: credential.alias)
                }
                if kind == .clientCertificate && wallet.identity == nil {
                    throw WalletError(.invalidArgument, "a client-certificate credential signs with the wallet's client identity; add one first with `smtp-wallet add --identity CERT --key KEY`")
                }
                try wallet.setCredential(credential)
                return existed
            }
            Output.line("\(replaced ? "replaced" : "stored") credential \(credential)")
        }
    }
}

/// `smtp-wallet credential list`.
struct CredentialList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the credentials: alias, user name, kind, tenant, client id; never the secret.")

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    func run() throws {
        try Failure.guarding {
            let opened = try WalletAccess.openForReading(wallet.path, password: try password.forOpening(wallet.path))
            if opened.credentials.isEmpty { Output.line("no credentials in \(opened.directory)") }
            for credential in opened.credentials {
                var fields = ["\(credential.alias)", "username=\(credential.username.isEmpty ? "-" : credential.username)",
                              "kind=\(credential.kind.rawValue)"]
                if let tenant = credential.tenant { fields.append("tenant=\(tenant)") }
                if let clientID = credential.clientID { fields.append("client_id=\(clientID)") }
                if let authority = credential.authority { fields.append("authority=\(authority)") }
                if let scope = credential.scope { fields.append("scope=\"\(scope)\"") }
                if let command = credential.tokenCommand { fields.append("command=\"\(command)\"") }
                if credential.kind == .relayUser {
                    fields.append("allow_from=\(credential.allowedSenders.joined(separator: "|"))")
                    fields.append("upstream=\(credential.upstream ?? "-")")
                    fields.append("cram_md5=\(credential.cramMD5Context == nil ? "no" : "yes")")
                }
                fields.append("updated=\(WalletDates.iso8601(credential.updated))")
                Output.line(fields.joined(separator: "  "))
            }
        }
    }
}

/// `smtp-wallet credential remove ALIAS`.
struct CredentialRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Forget a credential.")

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Argument(help: "The credential's name.")
    var alias: String

    func run() throws {
        try Failure.guarding {
            let alias = alias
            let removed = try Wallet.modify(wallet.path, password: try password.forOpening(wallet.path), hooks: WalletAccess.hooks) { wallet throws(WalletError) in
                try wallet.removeCredential(alias)
            }
            Output.line("removed credential \(removed.alias)")
        }
    }
}

/// SecretOptions are the ways to give a credential's secret; argv only with a second flag.
struct SecretOptions: ParsableArguments {
    @Option(name: .customLong("secret-env"), help: ArgumentHelp("Read the secret from this environment variable.", valueName: "NAME"))
    var environment: String?

    @Option(name: .customLong("secret-file"), help: ArgumentHelp("Read the secret from the first line of this file.", valueName: "FILE"))
    var file: String?

    @Option(name: .customLong("secret"), help: ArgumentHelp(
        "The secret itself (visible in the process list); needs --insecure-secret-on-command-line.", valueName: "SECRET"))
    var value: String?

    @Flag(name: .customLong("insecure-secret-on-command-line"), help: "Allow --secret.")
    var allowArgv = false

    func validate() throws {
        if value != nil && !allowArgv {
            throw ValidationError("--secret puts the secret in the process list; use --secret-env or --secret-file, or add --insecure-secret-on-command-line")
        }
        if [environment != nil, file != nil, value != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give only one of --secret-env, --secret-file and --secret")
        }
    }

    /// The secret from a flag, else from a prompt without echo.
    func read(for alias: String, kind: WalletCredential.Kind) throws -> String {
        if let value { return value }
        if let name = environment {
            guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else {
                throw CLIError("the environment variable \(name) (from --secret-env) is not set or empty")
            }
            return text
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read the secret file \(file)") }
            return firstLine(of: data)
        }
        do {
            return try Prompt.secret("The \(kind == .relayUser ? "password" : kind.rawValue) for \(alias): ")
        } catch {
            throw CLIError("no terminal to ask the \(kind.rawValue) on; use --secret-env NAME or --secret-file FILE")
        }
    }
}
