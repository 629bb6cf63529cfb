import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation
import SMTPListener
import TrustStore

/// `mail-queue relay`: an SMTP submission server in front of the queue, with the sender in the
/// same process.
struct Relay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An SMTP submission server in front of the queue: legacy clients AUTH with a password, the queue delivers upstream (e.g. Office365 over XOAUTH2).",
        discussion: """
            Each accepted message is committed to the queue (on SQLite, synced to disk: synchronous=FULL) \
            before the 250, which names the request \
            (`250 2.0.0 queued as ID`, see `mail-queue show ID`); a database error is 451 4.3.0 and nothing \
            is stored; a client that drops before the final dot stores nothing. Unless --no-send, the sender \
            runs in this process: one per upstream credential (the user's --upstream, else --credential-alias), \
            with the SMTP settings `send` takes (--smtp, --security, --profile, --ca-file, --rate, …). \
            Each upstream credential keeps its own limits: for an Office365 host (smtp.office365.com, \
            *.outlook.com) 3 connections and 30 messages a minute unless --connections/--rate say otherwise. \
            --bounce: a message the upstream refuses for good gets a delivery status notification (RFC 3464) \
            back to its envelope sender through the same upstream (from <>; none for a message from <>).

            Users are the wallet's relay-user credentials (smtp-wallet credential add NAME --kind relay-user). \
            AUTH (PLAIN, LOGIN; CRAM-MD5 too when every relay user was added with --cram-md5) is required \
            before MAIL, and offered only after STARTTLS (or with --implicit-tls), \
            except on a loopback listener with --allow-cleartext-auth-on-loopback. The TLS certificate is the \
            wallet's identity, or --tls-cert/--tls-key. Users re-read only at start. \
            --trusted-client 192.168.10.0/24=printer lets devices that cannot AUTH (printers, scanners) send \
            from that network as the relay user printer, with its allowed senders and upstream (like Postfix's \
            mynetworks); everyone else still gets 530 5.7.0 without AUTH.

            Limits: --max-message-size (552 5.3.4), --max-recipients (452 4.5.3), --max-connections and \
            --max-connections-per-client (421 4.7.0), command lines of 2048 octets (500 5.5.2), message lines \
            of 998 octets, bare CR/LF or NUL in a message (554 5.6.0), --idle-timeout and --session-timeout \
            (421 4.4.2); a failed AUTH is answered after a delay that doubles per failure from the address.
            Logs: one line per session and per message on stderr. Stop with SIGTERM/SIGINT.
            """)

    @OptionGroup var db: DatabaseOptions
    @Option(name: .customLong("listen"), help: ArgumentHelp("Address to listen on; repeatable (default 127.0.0.1:2525).", valueName: "HOST:PORT"))
    var listen: [String] = []
    @Option(help: "Name in the greeting and the Received: field (default: this host's name).") var hostname: String?
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain for STARTTLS (default: the wallet's identity).", valueName: "PEM"))
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "PEM"))
    var tlsKey: String?
    @Flag(name: .customLong("implicit-tls"), help: "TLS from the first byte (port 465) instead of STARTTLS.")
    var implicitTLS = false
    @Flag(name: .customLong("allow-cleartext-auth-on-loopback"), help: "Offer AUTH without TLS on loopback listeners only (a client on this host, e.g. UTL_SMTP).")
    var allowCleartextAuthOnLoopback = false
    @Flag(name: .customLong("no-send"), help: "Only accept into the queue; a `send --daemon` elsewhere delivers.")
    var noSend = false
    @Option(name: .customLong("max-message-size"), help: ArgumentHelp("Largest message in octets (35 MiB).", valueName: "OCTETS"))
    var maxMessageSize: Int = 35 * 1024 * 1024
    @Option(name: .customLong("max-recipients"), help: "Recipients per message, at most the queue's 100.")
    var maxRecipients: Int = 100
    @Option(name: .customLong("max-connections"), help: "Sessions at once in total.")
    var maxConnections: Int = 100
    @Option(name: .customLong("max-connections-per-client"), help: "Sessions at once from one address.")
    var maxConnectionsPerClient: Int = 10
    @Option(name: .customLong("idle-timeout"), help: "Seconds a client may stay silent.")
    var idleTimeout: Double = 300
    @Option(name: .customLong("session-timeout"), help: "Seconds a session may last.")
    var sessionTimeout: Double = 1800
    @Option(name: .customLong("auth-failure-delay"), help: "Seconds before a failed AUTH is answered, doubled per failure from the address up to 16.")
    var authFailureDelay: Double = 1
    @Option(name: .customLong("trusted-client"), help: ArgumentHelp(
        "Clients from CIDR may send MAIL without AUTH, acting as relay user USER (its allowed senders and upstream apply); for devices that cannot AUTH. Repeatable; off by default.",
        valueName: "CIDR=USER"))
    var trustedClient: [String] = []
    @Option(name: .customLong("record-dir"), help: ArgumentHelp("Write each session's transcript here (credentials redacted; `smtp-repl serve` replays it).", valueName: "DIR"))
    var recordDir: String?
    @Option(name: .customLong("ready-file"), help: ArgumentHelp("Write the bound HOST:PORT lines here once listening (for supervisors and tests).", valueName: "FILE"))
    var readyFile: String?
    @OptionGroup var sending: SenderSettingOptions

    func validate() throws {
        if maxMessageSize < 1024 { throw ValidationError("--max-message-size \(maxMessageSize): must be at least 1024") }
        let queueLimit = QueueLimits().maxRecipients
        if maxRecipients < 1 || maxRecipients > queueLimit {
            throw ValidationError("--max-recipients \(maxRecipients): must be from 1 to \(queueLimit) (the queue's limit per request)")
        }
        if maxConnections < 1 { throw ValidationError("--max-connections \(maxConnections): must be at least 1") }
        if maxConnectionsPerClient < 1 { throw ValidationError("--max-connections-per-client \(maxConnectionsPerClient): must be at least 1") }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--session-timeout", sessionTimeout)] where !(value > 0 && value.isFinite) {
            throw ValidationError("\(name) \(value): must be more than 0")
        }
        if !(authFailureDelay >= 0 && authFailureDelay.isFinite) { throw ValidationError("--auth-failure-delay \(authFailureDelay): must be 0 or more") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// A configuration problem: the message on stderr, exit 2.
    func fail(_ message: String) -> Error {
        Console.error("mail-queue: configuration: \(message)")
        return ExitStatus.configuration
    }

    func endpoints() throws -> [HostPort] {
        var result: [HostPort] = []
        for text in listen.isEmpty ? ["127.0.0.1:2525"] : listen {
            do throws(SMTPError) {
                result.append(try HostPort.listening(text, example: "127.0.0.1:2525").address)
            } catch {
                throw fail("--listen \(text): \(HostPort.reason(error))")
            }
        }
        return result
    }

    /// `--trusted-client CIDR=USER` values, each user named by its alias or login name and
    /// given as its login name.
    func trustedClients(_ users: RelayUsers) throws -> [TrustedClient] {
        var result: [TrustedClient] = []
        for text in trustedClient {
            var entry: TrustedClient
            do throws(SMTPError) { entry = try TrustedClient(parsing: text) } catch {
                throw fail("--trusted-client \(text): \(HostPort.reason(error))")
            }
            guard let user = users.byLogin[entry.user] ?? users.byLogin.values.first(where: { $0.alias == entry.user }) else {
                throw fail("--trusted-client \(text): \(entry.user) is not a relay user in the wallet (relay users: \(users.byLogin.keys.sorted().joined(separator: ", ")))")
            }
            entry.user = user.loginName
            result.append(entry)
        }
        return result
    }

    func run() throws {
        let file = try sending.configFile()
        let walletPassword = ProcessInfo.processInfo.environment["MAIL_QUEUE_WALLET_PASSWORD"] ?? ""
        guard let walletPath = sending.wallet ?? file?["wallet"] else {
            throw fail("--wallet file:DIR is required: the relay users live there (smtp-wallet credential add NAME --kind relay-user)")
        }
        let wallet: Wallet
        do { wallet = try Wallet.open(walletPath, password: walletPassword) } catch { throw fail("--wallet \(walletPath): \(error)") }
        let users = RelayUsers(wallet: wallet)
        guard !users.byLogin.isEmpty else {
            throw fail("the wallet \(walletPath) holds no relay user; add one with `smtp-wallet credential add NAME --kind relay-user`")
        }
        let trusted = try trustedClients(users)
        let defaultUpstream = SendSetting.find("credential-alias", flag: sending.credentialAlias, file: file)?.value
        let listeners = try endpoints()

        // TLS: --tls-cert/--tls-key, else the wallet's identity.
        var certificatePEM: String?, keyPEM: String?
        if let tlsCert, let tlsKey {
            certificatePEM = try InputFile.text(tlsCert, option: "--tls-cert", limit: .pem(option: "--tls-cert", path: tlsCert))
            keyPEM = try InputFile.text(tlsKey, option: "--tls-key", limit: .pem(option: "--tls-key", path: tlsKey))
        } else if let identity = try? wallet.clientIdentityPEM() {
            (certificatePEM, keyPEM) = (identity.certificateChain, identity.privateKey)
        }
        let hostname = self.hostname ?? ProcessInfo.processInfo.hostName

        // The senders, one per upstream credential, before anything is accepted.
        var senders: [(String, QueueSender)] = []
        let stop = StopSignal()
        let databaseValue = db.value(file: file)
        let first = QueueStore(database: try guarded { () throws(QueueError) in try DatabaseURL.open(databaseValue, create: false) })
        try guarded { () throws(QueueError) in try first.checkSchema() }
        // A 250 takes responsibility for the message: on SQLite it is on disk first, not only committed.
        if let sqlite = first.database as? SQLiteQueueDatabase {
            try guarded { () throws(QueueError) in try sqlite.syncEveryCommit() }
        }
        if !noSend {
            if defaultUpstream == nil, let user = users.byLogin.values.first(where: { $0.upstream == nil }) {
                throw fail("relay user \(user.alias) names no --upstream credential and no --credential-alias is given")
            }
            let shared = first.database as? SQLiteQueueDatabase
            let factory: QueueSender.StoreFactory = { () throws(QueueError) -> QueueStore in
                if let shared { return QueueStore(database: shared) }
                return QueueStore(database: try DatabaseURL.open(databaseValue, create: false))
            }
            // One wake-up for every upstream's sender: an accepted message (this process's own
            // enqueue, or another's) wakes them all; each claims only its own pattern.
            let wakeUp = try sending.wakeUp(file, once: false, url: databaseValue, stop: stop,
                                            pollSeconds: (try? sending.options(file, once: false).idlePollSeconds) ?? 2)
            for alias in users.upstreamAliases(fallback: defaultUpstream) {
                let upstream: WalletCredential
                do { upstream = try wallet.credential(alias) } catch { throw fail("upstream credential \(alias): \(error)") }
                guard upstream.kind != .relayUser else {
                    throw fail("upstream credential \(alias) is a relay user, not a credential to send with")
                }
                var settings: SMTPSettings, options: SenderOptions
                do {
                    settings = try sending.settings(file)
                    options = try sending.options(file, once: false)
                } catch let error as ValidationError {
                    throw fail(error.message)
                }
                settings.secret = .walletAlias(alias)
                settings.username = upstream.username.isEmpty ? (settings.username ?? alias) : upstream.username
                settings.walletPath = walletPath
                options.pattern = alias
                options.bounce = try sending.deliveryReport(file, settings: settings, reportingMTA: hostname)
                options.wakeUp = wakeUp
                let sender = try guarded { () throws(QueueError) -> QueueSender in
                    try QueueSender(store: factory, settings: settings, options: options, stop: stop)
                }
                senders.append((alias, sender))
            }
        }

        // A log line carries what clients said (user names, MAIL FROM): escaped, it cannot forge another line.
        let log: @Sendable (String) -> Void = { line in Console.error(line) }
        if let recordDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: recordDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw fail("--record-dir \(recordDir): no such directory")
            }
        }
        let handler = RelayHandler(
            users: users, store: QueueStore(database: first.database), defaultUpstream: defaultUpstream,
            recordDirectory: recordDir, log: log)
        let conversation = ServerConfiguration(
            hostname: hostname, maxMessageSize: maxMessageSize, maxRecipients: maxRecipients,
            authMechanisms: users.allHaveCramMD5 ? ["PLAIN", "LOGIN", "CRAM-MD5"] : ["PLAIN", "LOGIN"])
        let options = SMTPServerOptions(
            listen: listeners, conversation: conversation, tlsCertificatePEM: certificatePEM, tlsKeyPEM: keyPEM,
            implicitTLS: implicitTLS, allowCleartextAuthOnLoopback: allowCleartextAuthOnLoopback,
            maxConnections: maxConnections, maxConnectionsPerAddress: maxConnectionsPerClient, idleTimeout: idleTimeout,
            sessionTimeout: sessionTimeout, authFailureDelay: authFailureDelay, recording: recordDir != nil,
            trustedClients: trusted)
        let server: SMTPServer
        do { server = try SMTPServer(options: options, handler: handler) } catch {
            throw fail(error.description + (certificatePEM == nil ? " (no --tls-cert/--tls-key and no identity in the wallet)" : ""))
        }

        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                server.stop()
                stop.stop()
            }
            source.resume()
            sources.append(source)
        }
        let finished = DispatchGroup()
        for (alias, sender) in senders {
            finished.enter()
            Thread.detachNewThread {
                do throws(QueueError) {
                    let report = try sender.run()
                    log("relay: sender \(alias) stopped: sent \(report.sent), failed \(report.failed), retried \(report.retried), uncertain \(report.uncertain)")
                    if let error = report.configurationError { log("relay: sender \(alias): cannot use the SMTP server: \(error)") }
                } catch {
                    log("relay: sender \(alias) stopped: \(error)")
                }
                finished.leave()
            }
        }
        server.start()
        for endpoint in server.endpoints {
            let auth = SMTPServerOptions.isLoopback(HostPort.hostOf(endpoint)) && allowCleartextAuthOnLoopback
                ? "AUTH also without TLS (loopback)" : implicitTLS ? "implicit TLS" : "AUTH after STARTTLS"
            log("relay: listening on \(endpoint) (\(auth)); \(users.byLogin.count) user(s); "
                + (noSend ? "not sending" : "sending via \(senders.map(\.0).joined(separator: ", "))"))
        }
        if users.allHaveCramMD5 {
            log("relay: CRAM-MD5 offered: every relay user has a CRAM-MD5 context")
        } else if users.byLogin.values.contains(where: { $0.cramMD5Context != nil }) {
            log("relay: CRAM-MD5 not offered: \(users.withoutCramMD5.joined(separator: ", ")) kept no CRAM-MD5 context (smtp-wallet credential add … --cram-md5)")
        }
        for entry in trusted {
            log("relay: clients from \(entry.network) may send without AUTH as \(entry.user) (--trusted-client)")
        }
        if let readyFile {
            let temporary = readyFile + ".tmp"
            let written = FileManager.default.createFile(atPath: temporary, contents: Data(server.endpoints.map { $0 + "\n" }.joined().utf8))
            if !written || rename(temporary, readyFile) != 0 { log("relay: warning: could not write the ready file \(readyFile)") }
        }
        server.wait()
        stop.stop()
        finished.wait()
        _ = sources
        log("relay: stopped")
    }
}
