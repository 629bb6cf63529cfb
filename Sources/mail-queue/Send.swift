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
    @Flag(help: "Send what is due, then exit.") var once = false
    @Flag(help: "Keep running; stop on SIGTERM/SIGINT after the message in flight.") var daemon = false
    @Option(help: "SMTP server host:port (default $MAIL_QUEUE_SMTP).") var smtp: String?
    @Option(help: "none, starttls or implicit.") var security: String = "none"
    @Option(help: "Preset: office365 (587, STARTTLS, 3 connections, 30/minute).") var profile: String?
    @Option(help: "PEM file of trusted CAs.") var caFile: String?
    @Option(help: "TrustStore wallet (file:DIR); its password in $MAIL_QUEUE_WALLET_PASSWORD.") var wallet: String?
    @Option(help: "SMTP user (default $MAIL_QUEUE_SMTP_USER).") var user: String?
    @Option(help: "File holding the SMTP password.") var passwordFile: String?
    @Option(help: "Wallet credential alias holding the password.") var credentialAlias: String?
    @Option(help: "Name sent in EHLO.") var helo: String = ProcessInfo.processInfo.hostName
    @Option(help: "Parallel connections.") var connections: Int?
    @Option(help: "Messages per minute across connections.") var rate: Int?
    @Option(help: "Requests claimed at a time per connection.") var batch: Int = 20
    @Option(help: "Seconds a claim lasts (a dead sender's claims are taken over after this).") var leaseSeconds: Int = 300
    @Option(help: "Only this send pattern id.") var pattern: String?
    @Option(help: "Attempts before a request fails.") var maxAttempts: Int = 8
    @Option(help: "Milliseconds before the first retry (doubles each time).") var retryBaseMs: Int64 = 60_000
    @Option(help: "Seconds to wait for each SMTP read or write.") var timeout: Double = 60
    @Flag(help: "Also send delivery-uncertain requests again (may duplicate).") var resendUncertain = false

    func validate() throws {
        if once == daemon { throw ValidationError("give exactly one of --once and --daemon") }
    }

    func settings() throws -> SMTPSettings {
        let env = ProcessInfo.processInfo.environment
        let username = user ?? env["MAIL_QUEUE_SMTP_USER"]
        var secret: SMTPSettings.Secret?
        if let credentialAlias {
            secret = .walletAlias(credentialAlias)
        } else if let passwordFile {
            let text = try String(contentsOfFile: passwordFile, encoding: .utf8)
            secret = .password(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        } else if let password = env["MAIL_QUEUE_SMTP_PASSWORD"] {
            secret = .password(password)
        }
        var settings: SMTPSettings
        if profile == "office365" {
            guard let username, let secret else {
                throw ValidationError("--profile office365 needs a user and a password or credential alias")
            }
            settings = .office365(username: username, secret: secret, heloName: helo)
        } else if let profile {
            throw ValidationError("--profile \(profile): the known profile is office365")
        } else {
            guard let server = smtp ?? env["MAIL_QUEUE_SMTP"], let colon = server.lastIndex(of: ":"),
                  let port = Int(server[server.index(after: colon)...]) else {
                throw ValidationError("--smtp host:port (or MAIL_QUEUE_SMTP) is required")
            }
            guard let mode = SMTPSettings.Security(rawValue: security) else {
                throw ValidationError("--security \(security): expected none, starttls or implicit")
            }
            settings = SMTPSettings(host: String(server[..<colon]), port: port, security: mode, username: username,
                                    secret: secret, heloName: helo)
        }
        settings.caFile = caFile
        settings.walletPath = wallet
        settings.walletPassword = env["MAIL_QUEUE_WALLET_PASSWORD"]
        settings.timeout = timeout
        if let connections { settings.connections = connections }
        if let rate { settings.messagesPerMinute = rate }
        return settings
    }

    func run() throws {
        let settings = try settings()
        let databaseValue = db.value
        let first = try db.open()
        try guarded { () throws(QueueError) in try first.checkSchema() }
        if let wallet {
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
        let options = SenderOptions(
            batchSize: batch, leaseMillis: Int64(leaseSeconds) * 1000, pattern: pattern, resendUncertain: resendUncertain,
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelayMillis: retryBaseMs), once: once)
        var progress: (@Sendable (SenderReport) -> Void)?
        if terminal {
            progress = { (r: SenderReport) in
                let line = "\rsent \(r.sent)  failed \(r.failed)  retry \(r.retried)  uncertain \(r.uncertain)"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        let factory: QueueSender.StoreFactory = { () throws(QueueError) -> QueueStore in
            QueueStore(database: try DatabaseURL.open(databaseValue))
        }
        let sender = try guarded { () throws(QueueError) -> QueueSender in
            try QueueSender(store: factory, settings: settings, options: options, stop: stop, progress: progress)
        }
        let report = try guarded { () throws(QueueError) -> SenderReport in try sender.run() }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print("sent \(report.sent), failed \(report.failed), retried \(report.retried), uncertain \(report.uncertain), claims lost \(report.lost)")
        _ = sources
        if let error = report.configurationError {
            FileHandle.standardError.write(Data("mail-queue: cannot use the SMTP server: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
        if !report.allSent { throw ExitStatus.notAllSent }
    }
}
