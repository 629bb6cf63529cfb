import ArgumentParser
import Foundation
import SMTPConversation
import SMTPTranscript
import TrustStore

/// Parses `HOST:PORT` (IPv6 in brackets).
func parseAddress(_ text: String, option: String) throws -> (host: String, port: Int) {
    guard let parsed = try? HostPort(parsing: text), !parsed.host.isEmpty, let port = try? parsed.port(in: 0...65535) else {
        throw ValidationError("\(option) takes HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:2525), not '\(text)'")
    }
    return (parsed.host, port)
}

/// Writes a transcript for `--record`; a failure is reported, not fatal.
func writeTranscript(_ transcript: Transcript, to path: String, printer: Printer) {
    do throws(PrivateFile.Failure) { try PrivateFile.write(transcript.render(), to: path) } catch {
        printer.error(error.description)
    }
}

/// Reads and parses a transcript file; a file that cannot be read or parsed is reported on
/// stderr (no usage text: the command line was right) and exits 2.
func loadTranscript(_ path: String) throws -> Transcript {
    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("smtp-repl: \(TerminalText.escaped(message, keepingLineBreaks: true))\n".utf8))
        return ExitCode(2)
    }
    let text: String
    do throws(CaptureFile.Failure) { text = try CaptureFile.text(of: path) } catch {
        throw fail(error.description)
    }
    // Checked before any socket is opened: a file that is not a playable transcript is a usage error.
    do {
        let transcript = try Transcript(parsing: text, name: path)
        try transcript.validate()
        return transcript
    } catch { throw fail(error.description) }
}

/// `serve`: plays the server side of a transcript to any client.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play the server side of a transcript to any client (swaks, smtplib, a PL/SQL job) and report where it left the script.")

    @Argument(help: "The transcript to play.")
    var transcript: String

    @Option(help: ArgumentHelp("Where to listen (loopback only is wise).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:2525"

    @Option(help: ArgumentHelp("PEM certificate chain for STARTTLS / implicit TLS.", valueName: "PEM"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key for --tls-cert (needed unless that file holds the key too).", valueName: "PEM"))
    var tlsKey: String?

    @Option(name: .customLong("then"), help: ArgumentHelp(
        "The transcript for the next client; repeat for the ones after (the last is played again to any later client): a server that fails once, then answers.",
        valueName: "FILE"))
    var later: [String] = []

    @Flag(help: "Serve one client per transcript (one, or one more per --then), then exit: 0 when each followed its transcript, 1 when not.")
    var once = false

    @Flag(help: "Match byte for byte (except patterns) instead of by meaning.")
    var strict = false

    @Option(help: ArgumentHelp("Seconds to wait for each client line.", valueName: "SECONDS"))
    var readTimeout: Double = 30

    @Option(help: ArgumentHelp(
        "Clients served at once (1-\(TranscriptServer.maxClientsLimit)); one more is answered 421 4.3.2 and closed.", valueName: "N"))
    var maxClients: Int = TranscriptServer.defaultMaxClients

    @Option(help: ArgumentHelp(
        "Write each served conversation as a transcript (credentials redacted, mode 0600; the one that ends last wins). A session records at most 1 MiB of message content.",
        valueName: "FILE"))
    var record: String?

    @Flag(help: "No colours.")
    var noColor = false

    func validate() throws {
        _ = try parseAddress(listen, option: "--listen")
        guard (1...TranscriptServer.maxClientsLimit).contains(maxClients) else {
            throw ValidationError("--max-clients takes 1 to \(TranscriptServer.maxClientsLimit), not \(maxClients)")
        }
        if tlsKey != nil && tlsCert == nil { throw ValidationError("--tls-key goes with --tls-cert PEM") }
        // Without --tls-key the key is read from the certificate file, so say so when it holds none
        // (rather than let OpenSSL fail to decode a certificate as a key).
        if let tlsCert, tlsKey == nil, Self.holdsNoPrivateKey(tlsCert) {
            throw ValidationError("--tls-cert \(tlsCert) holds no private key: give the key with --tls-key PEM")
        }
    }

    /// True when `path` reads as PEM text without a `PRIVATE KEY` block; false when it has one or
    /// cannot be read (loading it reports that).
    static func holdsNoPrivateKey(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        let text = String(decoding: data, as: UTF8.self)
        return !(text.contains("-----BEGIN ") && text.contains("PRIVATE KEY-----"))
    }

    func run() throws {
        let printer = Printer(color: !noColor && Printer.wantsColor())
        let script = try loadTranscript(transcript)
        let laterScripts = try later.map(loadTranscript)
        let address = try parseAddress(listen, option: "--listen")
        let server: TranscriptServer
        do {
            server = try TranscriptServer(
                transcript: script, then: laterScripts, host: address.host, port: address.port, mode: strict ? .strict : .meaning,
                tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey, readTimeout: readTimeout)
        } catch {
            printer.error(error.description)
            throw ExitCode(error.code == .network ? 3 : 2)
        }
        let then = later.isEmpty ? "" : ", then " + later.joined(separator: ", then ")
        printer.info("serving \(transcript)\(then) on \(address.host):\(server.port) (\(strict ? "strict" : "by meaning"))")
        // Clients are served concurrently (at most --max-clients at once): reports and the
        // --record file are written one client at a time.
        let tally = ServeTally()
        let names = later.isEmpty ? nil : server
        let record = record
        let maxClients = maxClients
        do {
            try server.serveConcurrently(
                maxClients: maxClients, clients: once ? 1 + later.count : nil,
                finished: { index, outcome in
                    tally.add(outcome) {
                        // Which transcript this client was played (named when there are several).
                        Self.report(outcome, transcript: names?.transcript(forConnection: index).name, printer: printer)
                        if let record { writeTranscript(outcome.transcript, to: record, printer: printer) }
                    }
                },
                refused: { address in printer.error("client \(address) turned away (421): \(maxClients) clients are served at once (--max-clients)") })
        } catch {
            printer.error(error.description)
            throw ExitCode(3)
        }
        throw ExitCode(tally.allFollowed ? 0 : 1)
    }

    static func report(_ outcome: ServeOutcome, transcript played: String? = nil, printer: Printer) {
        if outcome.followed {
            printer.info("client \(outcome.client) followed the transcript to the end" + (played.map { " (\($0))" } ?? ""))
        } else if let deviation = outcome.deviation {
            printer.error("client \(outcome.client) left the transcript: \(deviation)")
        } else if let error = outcome.error {
            printer.error("client \(outcome.client): \(error)")
        }
    }
}

/// ServeTally collects the outcomes of clients served at once, one at a time.
final class ServeTally: @unchecked Sendable {
    private let lock = NSLock()
    private var followed = true

    /// True when every client so far followed its transcript.
    var allFollowed: Bool { lock.withLock { followed } }

    /// Counts `outcome` and runs `report` while no other client's report runs.
    func add(_ outcome: ServeOutcome, report: () -> Void) {
        lock.withLock {
            followed = followed && outcome.followed
            report()
        }
    }
}

/// `replay`: plays the client side of a transcript against a live server and diffs the replies.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a transcript's client lines against a live server and show the replies side by side with the transcript's.")

    @Argument(help: "The transcript to replay.")
    var transcript: String

    @Option(help: ArgumentHelp("The server.", valueName: "HOST:PORT"))
    var server: String

    @Option(help: ArgumentHelp("Trust these CA certificates (PEM file or directory) instead of the system's.", valueName: "PEM"))
    var trust: String?

    @Option(help: ArgumentHelp("Trust what this wallet holds (file:DIR or a path); its password from --wallet-password-env.", valueName: "WALLET"))
    var wallet: String?

    @Option(help: ArgumentHelp("Environment variable holding the wallet's password (none: an auto-login wallet).", valueName: "VAR"))
    var walletPasswordEnv: String?

    @Option(help: ArgumentHelp("The name the certificate must carry.", valueName: "NAME"))
    var secureHost: String?

    @Flag(help: "Upgrade with STARTTLS after the first EHLO when the transcript does not (e.g. one recorded inside TLS).")
    var starttls = false

    @Option(help: "User name for AUTH lines.")
    var username: String?

    @Option(help: ArgumentHelp("Environment variable holding the password for AUTH lines.", valueName: "VAR"))
    var passwordEnv: String = "SMTP_PASSWORD"

    @Flag(help: "Compare reply text too, not only codes.")
    var text = false

    @Flag(help: "Allow AUTH without TLS.")
    var allowCleartext = false

    @Option(help: ArgumentHelp("Write the replayed conversation as a transcript (credentials redacted).", valueName: "FILE"))
    var record: String?

    @Flag(help: "No colours.")
    var noColor = false

    func validate() throws {
        _ = try parseAddress(server, option: "--server")
    }

    func run() throws {
        let printer = Printer(color: !noColor && Printer.wantsColor())
        var script = try loadTranscript(transcript)
        if starttls { script = Self.addingStartTLS(to: script) }
        let address = try parseAddress(server, option: "--server")
        var tls = TLSConfiguration()
        if let trust { tls.trust = FileManager.default.isDirectory(trust) ? .pemDirectory(trust) : .pemFile(trust) }
        if let wallet {
            let password = walletPasswordEnv.flatMap { ProcessInfo.processInfo.environment[$0] } ?? ""
            do { tls.trust = .provider(try Wallet.open(wallet, password: password)) } catch {
                throw ValidationError("--wallet \(wallet): \(error)")
            }
        }
        var credentials: Credentials?
        if let username {
            guard let password = ProcessInfo.processInfo.environment[passwordEnv] else {
                throw ValidationError("--username needs the password in $\(passwordEnv)")
            }
            credentials = Credentials(username: username, password: password)
        }
        let recorder = TranscriptRecorder()
        let player = TranscriptPlayer(
            transcript: script, mode: text ? .strict : .meaning, credentials: credentials,
            options: SMTPConnection.Options(tls: tls, allowCleartextAuth: allowCleartext, observer: recorder.observer))
        let result = player.play(host: address.host, port: address.port, secureHost: secureHost)
        if let record { writeTranscript(recorder.transcript, to: record, printer: printer) }
        printer.plain("line  command".padding(toLength: 44, withPad: " ", startingAt: 0) + "transcript | server")
        for item in result.replies {
            let expected = item.expected.first.map { String($0.prefix(3)) } ?? "—"
            let same = result.mismatches.contains { $0.line == item.line && $0.command == item.command } ? "≠" : "="
            let command = String(item.command.prefix(36))
            let row = String(format: "%4d  ", item.line) + command.padding(toLength: 38, withPad: " ", startingAt: 0)
                + "\(expected) \(same) \(item.reply.code) \(item.reply.lines.first ?? "")"
            if same == "=" { printer.plain(row) } else { printer.error(row) }
        }
        if let error = result.error {
            printer.error((result.errorLine.map { "\(transcript):\($0): " } ?? "") + error.description)
            throw ExitCode(Session.exitCode(for: error))
        }
        if !result.mismatches.isEmpty {
            printer.error("\(result.mismatches.count) replies differ from the transcript")
            throw ExitCode(1)
        }
        printer.info("every reply matched the transcript")
    }

    /// Inserts STARTTLS, the handshake and a second EHLO after the first EHLO's reply, unless the
    /// transcript has STARTTLS already.
    static func addingStartTLS(to transcript: Transcript) -> Transcript {
        var copy = transcript
        let hasStartTLS = transcript.entries.contains { if case .command(let text) = $0.kind { return text.uppercased() == "STARTTLS" }; return false }
        guard !hasStartTLS, let ehlo = transcript.entries.firstIndex(where: {
            if case .command(let text) = $0.kind { return text.uppercased().hasPrefix("EHLO") }
            return false
        }), case .command(let ehloLine) = transcript.entries[ehlo].kind else { return transcript }
        var end = ehlo + 1
        while end < copy.entries.count, case .server = copy.entries[end].kind { end += 1 }
        copy.entries.insert(contentsOf: [
            Transcript.Entry(.command("STARTTLS")), Transcript.Entry(.server("220 {any}")), Transcript.Entry(.tls),
            Transcript.Entry(.command(ehloLine)), Transcript.Entry(.server("250 {any}")),
        ], at: end)
        return copy
    }
}
