import ArgumentParser
import Foundation
import MailQueue

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send due requests: --once drains and exits (0 all sent, 1 some not, 2 configuration), --daemon keeps going.",
        discussion: """
            SMTP settings come from flags, then the environment: MAIL_QUEUE_SMTP (host:port), MAIL_QUEUE_SMTP_USER, \
            MAIL_QUEUE_SMTP_PASSWORD. A password is never taken from argv: use the environment, --password-file, or \
            --credential-alias (a wallet credential).
            """)
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Settings file: key = value lines, the keys named as these flags (default $MAIL_QUEUE_CONFIG). Flags and the environment win over it.")
    var config: String?
    @Flag(help: "Send what is due, then exit.") var once = false
    @Flag(help: "Keep running; stop on SIGTERM/SIGINT after the message in flight.") var daemon = false
    @Option(help: "SMTP server host:port (default $MAIL_QUEUE_SMTP).") var smtp: String?
    @Option(help: "none, starttls or implicit (default none).") var security: String?
    @Option(help: "Preset: office365 (587, STARTTLS, 3 connections, 30/minute).") var profile: String?
    @Option(help: "PEM file of trusted CAs.") var caFile: String?
    @Option(help: "TrustStore wallet (file:DIR); its password in $MAIL_QUEUE_WALLET_PASSWORD.") var wallet: String?
    @Option(help: "SMTP user (default $MAIL_QUEUE_SMTP_USER).") var user: String?
    @Option(help: "File holding the SMTP password.") var passwordFile: String?
    @Option(help: "Wallet credential alias holding the password.") var credentialAlias: String?
    @Option(help: "Name sent in EHLO (default: this host's name).") var helo: String?
    @Option(help: "Parallel connections (default 1).") var connections: Int?
    @Option(help: "Messages per minute across connections.") var rate: Int?
    @Option(help: "Messages per connection before it is reopened.") var messagesPerConnection: Int?
    @Option(help: "Requests claimed at a time per connection (default 20).") var batch: Int?
    @Option(help: "Seconds a claim lasts; renewed while a batch is sent, taken over after a sender dies (default 300).")
    var leaseSeconds: Int?
    @Option(help: "Only this send pattern id.") var pattern: String?
    @Option(help: "Attempts before a request fails (default 8).") var maxAttempts: Int?
    @Option(help: "Milliseconds before the first retry, doubling each time (default 60000).") var retryBaseMs: Int64?
    @Option(help: "Seconds to wait for each SMTP read or write (default 60).") var timeout: Double?
    @Option(help: "--daemon: seconds between looks at an empty queue (default 2).") var idlePollSeconds: Double?
    @Flag(help: "Also send delivery-uncertain requests again (may duplicate).") var resendUncertain = false

    func validate() throws {
        if once == daemon { throw ValidationError("give exactly one of --once and --daemon") }
    }

    /// The settings file (--config, else $MAIL_QUEUE_CONFIG), if any.
    func configFile() throws -> SenderConfigFile? {
        guard let path = config ?? ProcessInfo.processInfo.environment["MAIL_QUEUE_CONFIG"] else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return try guarded { () throws(QueueError) -> SenderConfigFile? in
                throw QueueError(.configuration, field: "--config", reason: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
        }
        return try guarded { () throws(QueueError) in try SenderConfigFile.parse(text, file: path, mode: UInt32(info.st_mode)) }
    }

    /// A typed value from the settings file, read only when no flag gave it; a mistake in it
    /// (FILE:LINE) ends the command with exit 2.
    func fileValue<T>(_ read: () throws(QueueError) -> T?) throws -> T? { try guarded(read) }

    func settings(_ file: SenderConfigFile?) throws -> SMTPSettings {
        let env = ProcessInfo.processInfo.environment
        let username = user ?? env["MAIL_QUEUE_SMTP_USER"] ?? file?["user"]
        var secret: SMTPSettings.Secret?
        if let alias = credentialAlias ?? file?["credential-alias"] {
            secret = .walletAlias(alias)
        } else if let passwordFile = passwordFile ?? file?["password-file"] {
            let text = try InputFile.text(passwordFile, option: "--password-file")
            secret = .password(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        } else if let password = env["MAIL_QUEUE_SMTP_PASSWORD"] ?? file?["password"] {
            secret = .password(password)
        }
        let heloName = helo ?? file?["helo"] ?? ProcessInfo.processInfo.hostName
        var settings: SMTPSettings
        let profile = self.profile ?? file?["profile"]
        if profile == "office365" {
            guard let username, !username.isEmpty, let secret else {
                throw ValidationError("--profile office365 needs a user and a password or credential alias")
            }
            settings = .office365(username: username, secret: secret, heloName: heloName)
        } else if let profile {
            throw ValidationError("--profile \(profile): the known profile is office365")
        } else {
            guard let server = smtp ?? env["MAIL_QUEUE_SMTP"] ?? file?["smtp"], let colon = server.lastIndex(of: ":"),
                  let port = Int(server[server.index(after: colon)...]) else {
                throw ValidationError("--smtp host:port (or MAIL_QUEUE_SMTP, or smtp in the --config file) is required")
            }
            let securityName = security ?? file?["security"] ?? "none"
            guard let mode = SMTPSettings.Security(rawValue: securityName) else {
                throw ValidationError("--security \(securityName): expected none, starttls or implicit")
            }
            settings = SMTPSettings(host: String(server[..<colon]), port: port, security: mode, username: username,
                                    secret: secret, heloName: heloName)
        }
        settings.caFile = caFile ?? file?["ca-file"]
        settings.walletPath = wallet ?? file?["wallet"]
        settings.walletPassword = env["MAIL_QUEUE_WALLET_PASSWORD"]
        settings.timeout = try timeout ?? fileValue { () throws(QueueError) in try file?.number("timeout") } ?? 60
        if let connections = try connections ?? fileValue({ () throws(QueueError) in try file?.integer("connections") }) {
            settings.connections = connections
        }
        if let rate = try rate ?? fileValue({ () throws(QueueError) in try file?.integer("rate") }) { settings.messagesPerMinute = rate }
        if let limit = try messagesPerConnection
            ?? fileValue({ () throws(QueueError) in try file?.integer("messages-per-connection") }) {
            settings.messagesPerConnection = limit
        }
        guard settings.connections >= 1, settings.timeout > 0, (settings.messagesPerMinute ?? 1) >= 1,
              (settings.messagesPerConnection ?? 1) >= 1 else {
            throw ValidationError("connections, rate, messages-per-connection and timeout must be at least 1")
        }
        return settings
    }

    func options(_ file: SenderConfigFile?) throws -> SenderOptions {
        let batch = try batch ?? fileValue { () throws(QueueError) in try file?.integer("batch") } ?? 20
        let lease = try leaseSeconds ?? fileValue { () throws(QueueError) in try file?.integer("lease-seconds") } ?? 300
        let attempts = try maxAttempts ?? fileValue { () throws(QueueError) in try file?.integer("max-attempts") } ?? 8
        let retryBase = try retryBaseMs ?? fileValue { () throws(QueueError) in try file?.integer("retry-base-ms").map(Int64.init) } ?? 60_000
        let idle = try idlePollSeconds ?? fileValue { () throws(QueueError) in try file?.number("idle-poll-seconds") } ?? 2
        let resend = try resendUncertain || (fileValue { () throws(QueueError) in try file?.flag("resend-uncertain") } ?? false)
        guard batch >= 1, lease >= 1, attempts >= 1, retryBase >= 0, idle > 0 else {
            throw ValidationError("batch, lease-seconds, max-attempts and idle-poll-seconds must be positive")
        }
        return SenderOptions(batchSize: batch, leaseMillis: Int64(lease) * 1000, pattern: pattern ?? file?["pattern"],
                             resendUncertain: resend, retry: RetryPolicy(maxAttempts: attempts, baseDelayMillis: retryBase),
                             once: once, idlePollSeconds: idle)
    }

    func run() throws {
        let file = try configFile()
        let settings: SMTPSettings, options: SenderOptions
        do {
            settings = try self.settings(file)
            options = try self.options(file)
        } catch let error as ValidationError {
            // A setting missing or wrong, wherever it came from: a configuration error (exit 2).
            FileHandle.standardError.write(Data("mail-queue: configuration: \(error.message)\n".utf8))
            throw ExitStatus.configuration
        }
        let databaseValue = db.database ?? ProcessInfo.processInfo.environment["MAIL_QUEUE_DATABASE"] ?? file?["database"]
            ?? DatabaseURL.defaultValue
        let first = QueueStore(database: try guarded { () throws(QueueError) in try DatabaseURL.open(databaseValue, create: false) })
        try guarded { () throws(QueueError) in try first.checkSchema() }
        if let wallet = settings.walletPath {
            let password = ProcessInfo.processInfo.environment["MAIL_QUEUE_WALLET_PASSWORD"] ?? ""
            for line in WalletCheck.warnings(walletPath: wallet, password: password) {
                FileHandle.standardError.write(Data("mail-queue: warning: \(line)\n".utf8))
            }
        }
        let stop = StopSignal()
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.stop() }
            source.resume()
            sources.append(source)
        }
        let terminal = isatty(STDERR_FILENO) == 1
        var progress: (@Sendable (SenderReport) -> Void)?
        if terminal {
            progress = { (r: SenderReport) in
                let line = "\rsent \(r.sent)  failed \(r.failed)  retry \(r.retried)  uncertain \(r.uncertain)"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        // SQLite: the workers share the connection already open (GRDB serialises it), so they
        // queue on a lock in this process instead of sleeping in SQLite's busy handler for the
        // file lock. PostgreSQL: a connection each, as SKIP LOCKED claims are meant to be.
        let shared = first.database as? SQLiteQueueDatabase
        let factory: QueueSender.StoreFactory = { () throws(QueueError) -> QueueStore in
            if let shared { return QueueStore(database: shared) }
            return QueueStore(database: try DatabaseURL.open(databaseValue, create: false))
        }
        let sender = try guarded { () throws(QueueError) -> QueueSender in
            try QueueSender(store: factory, settings: settings, options: options, stop: stop, progress: progress)
        }
        let report = try guarded { () throws(QueueError) -> SenderReport in try sender.run() }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        var summary = "sent \(report.sent), failed \(report.failed), retried \(report.retried), uncertain \(report.uncertain), claims lost \(report.lost)"
        if report.partlyRefused > 0 {
            summary += "; \(report.partlyRefused) sent with some recipients refused (mail-queue show ID names them)"
        }
        // --once stops when nothing is due: say what is left waiting for its retry time.
        if options.once, let waiting = try? first.waiting(), waiting.count > 0, let next = waiting.next {
            summary += "; \(waiting.count) waiting to retry, the next at \(timestamp(next))"
        }
        print(summary)
        _ = sources
        if let error = report.configurationError {
            FileHandle.standardError.write(Data("mail-queue: cannot use the SMTP server: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
        if !report.allSent { throw ExitStatus.notAllSent }
    }
}
