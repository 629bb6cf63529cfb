import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

/// SenderSettingOptions are the sender's settings as flags, the environment and the `--config`
/// file give them: `send` and `relay` (whose in-process sender delivers what it accepts) share them.
struct SenderSettingOptions: ParsableArguments {
    @Option(help: "Settings file: key = value lines, the keys named as these flags (default $MAIL_QUEUE_CONFIG). Flags and the environment win over it.")
    var config: String?
    @Option(help: "SMTP server host:port, e.g. smtp.example.com:587 or [::1]:25 (default $MAIL_QUEUE_SMTP).") var smtp: String?
    @Option(help: "none, starttls or implicit (default none).") var security: String?
    @Option(help: "Preset: office365 (587, STARTTLS, 3 connections, 30/minute).") var profile: String?
    @Option(help: "PEM file of trusted CAs.") var caFile: String?
    @Option(help: "PEM file of CAs trusted for an OAuth2 credential's token endpoint (default: the system's).") var tokenCaFile: String?
    @Option(help: "TrustStore wallet (file:DIR); its password in $MAIL_QUEUE_WALLET_PASSWORD.") var wallet: String?
    @Option(help: "SMTP user (default $MAIL_QUEUE_SMTP_USER; with --credential-alias, the credential's own user name).") var user: String?
    @Option(help: "File holding the SMTP password.") var passwordFile: String?
    @Option(help: "Wallet credential alias holding the password or OAuth2 secret; its user name is used unless --user gives one (none anywhere: exit 2).") var credentialAlias: String?
    @Option(help: "Name sent in EHLO (default: this host's name).") var helo: String?
    @Option(help: "Parallel connections (default 1; 3 for Office365: smtp.office365.com, *.outlook.com).") var connections: Int?
    @Option(help: "Messages per minute across connections (default none; 30 for Office365 hosts). Per sender, so per upstream credential in the relay.")
    var rate: Int?
    @Option(help: "Messages per connection before it is reopened.") var messagesPerConnection: Int?
    @Option(help: "Requests claimed at a time per connection (default 20).") var batch: Int?
    @Option(help: "Seconds a claim lasts; renewed while a batch is sent, taken over after a sender dies (default 300).")
    var leaseSeconds: Int?
    @Option(help: "Only this send pattern id.") var pattern: String?
    @Option(help: "Attempts before a request fails (default 8).") var maxAttempts: Int?
    @Option(help: "Milliseconds before the first retry, doubling each time (default 60000).") var retryBaseMs: Int64?
    @Option(help: "Seconds to wait for each whole SMTP reply or write (default 60); a server dripping a reply slowly is cut off.") var timeout: Double?
    @Option(help: "--daemon: seconds between looks at an empty queue (default 2); a scheduled request or a retry due sooner ends the wait at its time.") var idlePollSeconds: Double?
    @Flag(help: "Also send delivery-uncertain requests again (may duplicate).") var resendUncertain = false
    @Flag(help: "A relayed message the upstream refuses for good gets a delivery status notification (RFC 3464) back to its envelope sender, through the same upstream, with the null sender <> (none for a message that came with <>).")
    var bounce = false
    @Flag(help: "--daemon: only poll; do not listen for enqueues (PostgreSQL LISTEN, SQLite's PATH-wakeup file).")
    var pollOnly = false
    @Option(help: "--daemon: remove sent requests this long after they were sent (90s, 15m, 12h, 30d), in small batches while idle.")
    var retentionSent: String?
    @Option(help: "--daemon: remove failed and cancelled requests this long after they finished (uncertain ones are never removed).")
    var retentionFailed: String?

    /// The settings file (--config, else $MAIL_QUEUE_CONFIG), if any.
    func configFile() throws -> SenderConfigFile? {
        try guarded { () throws(QueueError) in try readConfigFile() }
    }

    /// The settings file as it is now (read again on SIGHUP).
    /// - Throws: `QueueError.configuration` naming the file (and line) when it cannot be read or parsed.
    func readConfigFile() throws(QueueError) -> SenderConfigFile? {
        guard let path = config ?? ProcessInfo.processInfo.environment["MAIL_QUEUE_CONFIG"] else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw QueueError(.configuration, field: "--config", reason: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return try SenderConfigFile.parse(text, file: path, mode: UInt32(info.st_mode))
    }

    /// A number setting, from its flag or the file, that `valid` accepts (else an error naming
    /// where it was given, the value and `rule`); nil when neither gives it.
    func number<T>(_ key: String, _ flag: T?, _ file: SenderConfigFile?, read: (SenderConfigFile) throws(QueueError) -> T?,
                   _ rule: String, valid: (T) -> Bool) throws -> T? {
        guard let setting = try SendSetting.find(key, flag: flag, file: file, read: read) else { return nil }
        guard valid(setting.value) else { throw setting.error(rule) }
        return setting.value
    }

    /// The host and port of `--smtp` (or MAIL_QUEUE_SMTP, or the file's `smtp`): `host:port`, an
    /// IPv6 address in brackets (`[::1]:25`).
    /// - Throws: a `ValidationError` naming what is missing or wrong: the port, the host, brackets.
    static func endpoint(_ server: SendSetting<String>) throws -> (host: String, port: Int) {
        let text = server.value
        let parsed: HostPort
        let port: Int?
        do throws(SMTPError) {
            parsed = try HostPort(parsing: text)
            port = try parsed.port()
        } catch {
            throw server.error(HostPort.reason(error))
        }
        guard !parsed.host.isEmpty else { throw server.error("the host is missing (host:port, e.g. smtp.example.com:587)") }
        guard let port else {
            throw server.error("the port is missing (host:port, e.g. \(text.hasSuffix(":") ? String(text.dropLast()) : text):587)")
        }
        return (parsed.host, port)
    }

    func settings(_ file: SenderConfigFile?) throws -> SMTPSettings {
        let env = ProcessInfo.processInfo.environment
        let username = SendSetting.find("user", flag: user, environment: "MAIL_QUEUE_SMTP_USER", file: file)?.value
        var secret: SMTPSettings.Secret?
        if let alias = SendSetting.find("credential-alias", flag: credentialAlias, file: file) {
            secret = .walletAlias(alias.value)
        } else if let passwordFile = SendSetting.find("password-file", flag: passwordFile, file: file) {
            let text = try InputFile.text(
                passwordFile.value, option: passwordFile.origin, limit: .password(option: passwordFile.origin, path: passwordFile.value))
            secret = .password(SecretText(text.hasSuffix("\n") ? String(text.dropLast()) : text))
        } else if let password = env["MAIL_QUEUE_SMTP_PASSWORD"] ?? file?["password"] {
            secret = .password(SecretText(password))
        }
        let heloName = SendSetting.find("helo", flag: helo, file: file)?.value ?? ProcessInfo.processInfo.hostName
        var settings: SMTPSettings
        if let profile = SendSetting.find("profile", flag: self.profile, file: file) {
            guard profile.value == "office365" else { throw profile.error("the known profile is office365") }
            guard let secret else { throw profile.error("needs a password or a credential alias (and a user name)") }
            // No user name here: a credential alias's own is used (CredentialResolver), and a
            // password without one is refused when the sender starts.
            settings = .office365(username: username ?? "", secret: secret, heloName: heloName)
        } else {
            guard let server = SendSetting.find("smtp", flag: smtp, environment: "MAIL_QUEUE_SMTP", file: file) else {
                throw ValidationError("--smtp host:port (or MAIL_QUEUE_SMTP, or smtp in the --config file) is required")
            }
            let (host, port) = try Self.endpoint(server)
            var mode = SMTPSettings.Security.none
            if let security = SendSetting.find("security", flag: security, file: file) {
                guard let named = SMTPSettings.Security(rawValue: security.value) else {
                    throw security.error("expected none, starttls or implicit")
                }
                mode = named
            }
            settings = SMTPSettings(host: host, port: port, security: mode, username: username,
                                    secret: secret, heloName: heloName)
            // Office365's per-mailbox limits when the host is Office365's; --connections and --rate win.
            settings.applyUpstreamLimits()
        }
        settings.caFile = SendSetting.find("ca-file", flag: caFile, file: file)?.value
        settings.tokenCAFile = SendSetting.find("token-ca-file", flag: tokenCaFile, file: file)?.value
        settings.walletPath = SendSetting.find("wallet", flag: wallet, file: file)?.value
        settings.walletPassword = env["MAIL_QUEUE_WALLET_PASSWORD"]
        settings.timeout = try number("timeout", timeout, file, read: { (f) throws(QueueError) in try f.number("timeout") },
                                      "must be more than 0", valid: { $0 > 0 && $0.isFinite }) ?? 60
        if let connections = try number("connections", connections, file, read: { (f) throws(QueueError) in try f.integer("connections") },
                                         "must be at least 1", valid: { $0 >= 1 }) {
            settings.connections = connections
        }
        settings.messagesPerMinute = try number("rate", rate, file, read: { (f) throws(QueueError) in try f.integer("rate") },
                                                "must be at least 1", valid: { $0 >= 1 }) ?? settings.messagesPerMinute
        settings.messagesPerConnection = try number(
            "messages-per-connection", messagesPerConnection, file,
            read: { (f) throws(QueueError) in try f.integer("messages-per-connection") }, "must be at least 1", valid: { $0 >= 1 })
            ?? settings.messagesPerConnection
        return settings
    }

    func options(_ file: SenderConfigFile?, once: Bool) throws -> SenderOptions {
        let batch = try number("batch", batch, file, read: { (f) throws(QueueError) in try f.integer("batch") },
                               "must be at least 1", valid: { $0 >= 1 }) ?? 20
        let lease = try number("lease-seconds", leaseSeconds, file, read: { (f) throws(QueueError) in try f.integer("lease-seconds") },
                               "must be at least 1", valid: { $0 >= 1 }) ?? 300
        let attempts = try number("max-attempts", maxAttempts, file, read: { (f) throws(QueueError) in try f.integer("max-attempts") },
                                  "must be at least 1", valid: { $0 >= 1 }) ?? 8
        let retryBase = try number("retry-base-ms", retryBaseMs, file,
                                   read: { (f) throws(QueueError) in try f.integer("retry-base-ms").map(Int64.init) },
                                   "must be 0 or more", valid: { $0 >= 0 }) ?? 60_000
        let idle = try number("idle-poll-seconds", idlePollSeconds, file,
                              read: { (f) throws(QueueError) in try f.number("idle-poll-seconds") },
                              "must be more than 0", valid: { $0 > 0 && $0.isFinite }) ?? 2
        let resend = try resendUncertain || (guarded { () throws(QueueError) in try file?.flag("resend-uncertain") } ?? false)
        var options = SenderOptions(batchSize: batch, leaseMillis: Int64(lease) * 1000,
                                    pattern: SendSetting.find("pattern", flag: pattern, file: file)?.value,
                                    resendUncertain: resend, retry: RetryPolicy(maxAttempts: attempts, baseDelayMillis: retryBase),
                                    once: once, idlePollSeconds: idle)
        let policy = RetentionPolicy(sentMillis: try duration("retention-sent", retentionSent, file),
                                     failedMillis: try duration("retention-failed", retentionFailed, file))
        options.retention = policy.isEmpty ? nil : policy
        return options
    }

    /// The report builder for `--bounce` (or `bounce` in the file), naming this host
    /// `reportingMTA` and the upstream of `settings`; nil without it.
    func deliveryReport(_ file: SenderConfigFile?, settings: SMTPSettings, reportingMTA: String) throws -> DeliveryReport? {
        let wanted = try bounce || (guarded { () throws(QueueError) in try file?.flag("bounce") } ?? false)
        guard wanted else { return nil }
        return DeliveryReport(reportingMTA: reportingMTA, remoteMTA: settings.host, fromMailbox: settings.username)
    }

    /// The duration setting `key` (flag, else the file's line) in ms; the error names where it was given.
    private func duration(_ key: String, _ flag: String?, _ file: SenderConfigFile?) throws -> Int64? {
        guard let setting = SendSetting.find(key, flag: flag, file: file) else { return nil }
        return try guarded { () throws(QueueError) in try RetentionDuration.milliseconds(setting.value, field: setting.origin) }
    }

}
