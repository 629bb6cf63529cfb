import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send due requests: --once drains and exits (0 all sent, 1 some not, 2 configuration), --daemon keeps going.",
        discussion: """
            SMTP settings come from flags, then the environment: MAIL_QUEUE_SMTP (host:port), MAIL_QUEUE_SMTP_USER, \
            MAIL_QUEUE_SMTP_PASSWORD. A password is never taken from argv: use the environment, --password-file, or \
            --credential-alias (a wallet credential). An OAuth2 credential's token is fetched and checked at \
            start-up (audience, SMTP.SendAsApp or SMTP.Send, tenant, client id, expiry, as `smtp-wallet credential \
            test` does): a wrong one stops the sender with exit 2 before anything is claimed. --token-ca-file \
            trusts another CA for the token endpoint.
            A server's reply is limited to 512 lines, 64 KiB and 2048 octets a line, and must arrive whole within \
            --timeout; more is a malformed reply.
            """)
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Send what is due, then exit.") var once = false
    @Flag(help: "Keep running; stop on SIGTERM/SIGINT after the message in flight.") var daemon = false
    @OptionGroup var sending: SenderSettingOptions

    func validate() throws {
        if once == daemon { throw ValidationError("give exactly one of --once and --daemon") }
    }

    func run() throws {
        let file = try sending.configFile()
        let settings: SMTPSettings, options: SenderOptions
        do {
            settings = try sending.settings(file)
            options = try sending.options(file, once: once)
        } catch let error as ValidationError {
            // A setting missing or wrong, wherever it came from: a configuration error (exit 2).
            Console.error("mail-queue: configuration: \(error.message)")
            throw ExitStatus.configuration
        }
        let databaseValue = db.database ?? ProcessInfo.processInfo.environment["MAIL_QUEUE_DATABASE"] ?? file?["database"]
            ?? DatabaseURL.defaultValue
        let first = QueueStore(database: try guarded { () throws(QueueError) in try DatabaseURL.open(databaseValue, create: false) })
        try guarded { () throws(QueueError) in try first.checkSchema() }
        if let wallet = settings.walletPath {
            let password = ProcessInfo.processInfo.environment["MAIL_QUEUE_WALLET_PASSWORD"] ?? ""
            for line in WalletCheck.warnings(walletPath: wallet, password: password) {
                Console.error("mail-queue: warning: \(line)")
            }
        }
        // An OAuth2 credential's token checked before anything is claimed: a wrong audience or
        // role would have every request refused with 535 5.7.3.
        switch try guarded({ () throws(QueueError) in try TokenStartupCheck.run(settings, now: Date().timeIntervalSince1970) }) {
        case .refused(let alias, let problems):
            for problem in problems {
                Console.error("mail-queue: configuration: credential \(alias): token \(problem.claim) \(problem.value ?? ""): \(problem.message)")
            }
            Console.error("mail-queue: configuration: Exchange Online would refuse every request (535 5.7.3); nothing was claimed "
                + "(`smtp-wallet credential test \(alias)` shows every check)")
            throw ExitStatus.configuration
        case .unavailable(let reason):
            Console.error("mail-queue: warning: the token could not be checked at start-up: \(reason)")
        case .fine:
            break
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
        // A configuration error spends no attempt: say that the requests are as they were.
        if report.configurationError != nil {
            let left = "\(report.heldBack) request(s) left unsent as they were (no attempt counted)"
            summary += report.sent == 0 ? "; nothing sent because of the configuration error below: \(left)"
                : "; then stopped by the configuration error below: \(left)"
        }
        // --once stops when nothing is due: say what is left waiting for its retry time.
        if options.once, let waiting = try? first.waiting(), waiting.count > 0, let next = waiting.next {
            summary += "; \(waiting.count) waiting to retry, the next at \(timestamp(next))"
        }
        if options.once, let scheduled = try? first.scheduled(), scheduled.count > 0, let next = scheduled.next {
            summary += "; \(scheduled.count) scheduled for later, the first at \(timestamp(next))"
        }
        print(summary)
        _ = sources
        if let error = report.configurationError {
            Console.error("mail-queue: cannot use the SMTP server: \(error)")
            throw ExitStatus.configuration
        }
        if !report.allSent { throw ExitStatus.notAllSent }
    }
}
