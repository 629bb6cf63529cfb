import ArgumentParser
import Foundation
import Logging
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
            As a service (--daemon): SIGHUP reads the --config file and the wallet again (a file that does not load \
            is logged and the settings in use kept; --database and --metrics need a restart); under systemd \
            (Type=notify) it sends READY=1, RELOADING=1, STOPPING=1 and WATCHDOG=1 pings at half WatchdogSec; \
            --metrics serves /metrics (Prometheus text) and /healthz (200, or 503 with the reason). Requests to it \
            are limited to 8 KiB, 5 s and 8 at once.
            --daemon wakes when a request is enqueued (PostgreSQL: LISTEN for the NOTIFY each enqueue sends; \
            SQLite: inotify on PATH-wakeup beside the database, which each enqueue on this host touches) and \
            polls every --idle-poll-seconds as the fallback; --poll-only only polls.
            A server's reply is limited to 512 lines, 64 KiB and 2048 octets a line, and must arrive whole within \
            --timeout; more is a malformed reply.
            Relayed requests (what `mail-queue relay` stored, whose pattern is their upstream credential) are \
            sent only by a sender whose --credential-alias is that credential; any other `send` leaves them. \
            An Office365 host (smtp.office365.com, *.outlook.com) gets 3 connections and 30 messages a minute \
            unless --connections/--rate say otherwise. --bounce: see `mail-queue relay --help`.
            """)
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Send what is due, then exit.") var once = false
    @Flag(help: "Keep running; stop on SIGTERM/SIGINT after the message in flight.") var daemon = false
    @OptionGroup var sending: SenderSettingOptions
    @OptionGroup var service: ServiceOptions

    func validate() throws {
        if once == daemon { throw ValidationError("give exactly one of --once and --daemon") }
        try service.validate(daemon: daemon)
    }

    func run() throws {
        let daemonService = DaemonService(logFormat: service.logFormat)
        let file = try sending.configFile()
        let settings: SMTPSettings
        var options: SenderOptions
        do {
            settings = try sending.settings(file)
            var chosen = try sending.options(file, once: once)
            chosen.bounce = try sending.deliveryReport(file, settings: settings, reportingMTA: settings.heloName)
            options = chosen
        } catch let error as ValidationError {
            // A setting missing or wrong, wherever it came from: a configuration error (exit 2).
            Console.error("mail-queue: configuration: \(error.message)")
            throw ExitStatus.configuration
        }
        let databaseValue = db.value(file: file)
        let first = QueueStore(database: try guarded { () throws(QueueError) in try DatabaseURL.open(databaseValue, create: false) })
        try guarded { () throws(QueueError) in try first.checkSchema() }
        let metrics = SenderMetrics()
        options.metrics = metrics
        Self.checkWallet(settings, metrics: metrics, service: daemonService)
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
            daemonService.warn("the token could not be checked at start-up: \(reason)")
        case .fine:
            break
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
        let logger = daemonService.logger(pattern: options.pattern)
        // Each generation listens for enqueues until its stop signal is raised.
        options.wakeUp = try sending.wakeUp(file, once: once, url: databaseValue,
                                            stop: daemonService.firstStop, pollSeconds: options.idlePollSeconds, logger: logger)
        var sender = try guarded { () throws(QueueError) -> QueueSender in
            try QueueSender(store: factory, settings: settings, options: options, stop: daemonService.firstStop, logger: logger,
                            progress: progress)
        }
        // SIGHUP: the --config file and the wallet read again; flags and the environment still win.
        let sending = self.sending, shownProgress = progress
        let reload: DaemonService.Prepare = { stop in
            let file = try sending.readConfigFile()
            let settings = try sending.settings(file)
            var options = try sending.options(file, once: false)
            options.metrics = metrics
            Self.checkWallet(settings, metrics: metrics, service: daemonService)
            options.wakeUp = try sending.wakeUp(file, once: false, url: databaseValue, stop: stop,
                                                pollSeconds: options.idlePollSeconds, logger: daemonService.logger(pattern: options.pattern))
            do {
                return try QueueSender(store: factory, settings: settings, options: options, stop: stop,
                                       logger: daemonService.logger(pattern: options.pattern),
                                       progress: shownProgress)
            } catch {
                stop.stop()  // this generation never runs: its listener ends
                throw error
            }
        }
        daemonService.handleSignals(reload: daemon ? reload : nil)
        let server = try daemon ? startMetrics(metrics, settings: settings, options: options, databaseValue: databaseValue,
                                                   logger: logger) : nil
        defer { server?.stop() }
        if daemon {
            metrics.beat()
            daemonService.notifier.notify("READY=1")
            let limit = DaemonHealth.maxBeatAge(idlePollSeconds: options.idlePollSeconds, timeout: settings.timeout,
                                                messagesPerMinute: settings.messagesPerMinute)
            daemonService.notifier.startWatchdog { (metrics.secondsSinceBeat() ?? 0) <= limit }
        }
        var report = SenderReport()
        while true {
            let run = sender
            let part = try guarded { () throws(QueueError) -> SenderReport in try run.run() }
            report.add(part)
            if part.configurationError != nil { break }
            guard let next = daemonService.nextGeneration() else { break }
            sender = next
        }
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
        if let error = report.configurationError {
            daemonService.error("cannot use the SMTP server: \(error)")
            throw ExitStatus.configuration
        }
        if !report.allSent { throw ExitStatus.notAllSent }
    }

    /// Warns about wallet certificates near expiry and notes them for /metrics.
    static func checkWallet(_ settings: SMTPSettings, metrics: SenderMetrics, service: DaemonService) {
        guard let wallet = settings.walletPath else { return }
        let password = settings.walletPassword ?? ""
        for line in WalletCheck.warnings(walletPath: wallet, password: password) { service.warn(line) }
        if let certificates = WalletCheck.certificates(walletPath: wallet, password: password) {
            metrics.walletChecked(certificates)
        }
    }

    /// Starts the --metrics endpoint, if asked for.
    func startMetrics(_ metrics: SenderMetrics, settings: SMTPSettings, options: SenderOptions, databaseValue: String,
                      logger: Logger) throws -> MetricsServer? {
        guard let address = service.metrics else { return nil }
        // HOST:PORT or [IPv6]:PORT, as --smtp; port 0 picks a free one (the log names it).
        let endpoint: (host: String, port: Int)
        do throws(SMTPError) {
            let (parsed, port) = try HostPort.listening(address, example: "127.0.0.1:9464")
            endpoint = (parsed.host, port)
        } catch {
            Console.error("mail-queue: configuration: --metrics \(address): \(HostPort.reason(error))")
            throw ExitStatus.configuration
        }
        let health = DaemonHealth(
            openStore: { () throws(QueueError) in QueueStore(database: try DatabaseURL.open(databaseValue, create: false)) },
            metrics: metrics,
            maxBeatAge: DaemonHealth.maxBeatAge(idlePollSeconds: options.idlePollSeconds, timeout: settings.timeout,
                                                messagesPerMinute: settings.messagesPerMinute),
            connections: max(1, settings.connections))
        let server = try guarded { () throws(QueueError) in
            try MetricsServer(host: endpoint.host, port: endpoint.port, allowRemote: service.metricsAllowRemote) { health.answer($0) }
        }
        let shown = server.host.contains(":") ? "[\(server.host)]:\(server.port)" : "\(server.host):\(server.port)"
        logger.info("serving /metrics and /healthz", metadata: ["address": "\(shown)"])
        return server
    }
}
