import Foundation
import MailQueue
import Testing

/// RelayProcess is `mail-queue relay` run from the built binary on 127.0.0.1 (port chosen by
/// the system) with a fresh wallet holding relay users and a fresh SQLite queue.
final class RelayProcess {
    /// The relay users' passwords.
    static let alicePassword = "relay-pw-alice"
    static let printerPassword = "relay-pw-printer"

    let queue: CLIQueue
    let wallet: String
    let logPath: String
    private(set) var child: Child?
    private(set) var port = 0
    private var arguments: [String] = []

    /// Creates the wallet (alice@example.com: only herself; printer: anyone @example.com;
    /// `up`: the upstream credential, alice/wonderland for the aiosmtpd peer) and the queue.
    init() throws {
        queue = try CLIQueue()
        wallet = "file:" + queue.directory + "/wallet"
        logPath = queue.directory + "/relay.log"
        try Self.wallet(["create", "-w", wallet, "--auto-login"])
        // The upstream first: a relay user may name only a credential already there.
        try Self.wallet(["credential", "add", "up", "-w", wallet, "--auto-login", "--username", "alice",
                         "--secret-env", "SECRET"], secret: "wonderland")
        try Self.wallet(["credential", "add", "alice@example.com", "-w", wallet, "--auto-login", "--kind", "relay-user",
                         "--upstream", "up", "--secret-env", "SECRET"], secret: Self.alicePassword)
        try Self.wallet(["credential", "add", "printer", "-w", wallet, "--auto-login", "--kind", "relay-user",
                         "--allow-from", "@example.com", "--upstream", "up", "--secret-env", "SECRET"], secret: Self.printerPassword)
    }

    static func wallet(_ arguments: [String], secret: String = "") throws {
        let tool = TestEnvironment.root.appendingPathComponent(".build/debug/smtp-wallet").path
        let result = try runProcess(tool, arguments, environment: ["SECRET": secret])
        #expect(result.status == 0, "smtp-wallet \(arguments.joined(separator: " ")): \(result.output)")
    }

    /// Starts the relay with `extra` arguments; returns once it listens.
    func start(_ extra: [String], environment: [String: String] = [:]) throws {
        arguments = ["relay", "--database", queue.database, "--wallet", wallet, "--listen", "127.0.0.1:\(port)",
                     "--hostname", "relay.test", "--ready-file", queue.directory + "/ready"] + extra
        try? FileManager.default.removeItem(atPath: queue.directory + "/ready")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        child = try Child(process)
        let ready = eventually(timeout: 30) { FileManager.default.fileExists(atPath: queue.directory + "/ready") || !(child?.isRunning ?? false) }
        let text = (try? String(contentsOfFile: queue.directory + "/ready", encoding: .utf8)) ?? ""
        guard ready, let portText = text.split(separator: "\n").first?.split(separator: ":").last, let bound = Int(portText) else {
            throw RelayError("the relay did not start: \(self.log)")
        }
        port = bound
    }

    /// Stops it with SIGTERM (or `signal`) and waits.
    func stop(_ signal: Int32 = SIGTERM) {
        child?.stop(signal)
        child = nil
    }

    /// What the relay logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs relay_client.py SCENARIO with `arguments` against this relay; its JSON output.
    func client(_ scenario: String, _ arguments: [String] = []) throws -> [String: Any] {
        let script = TestEnvironment.root.appendingPathComponent("Tests/MailQueueTests/relay_client.py").path
        let result = try runProcess("python3", [script, scenario, String(port)] + arguments, timeout: 120)
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw RelayError("relay_client.py \(scenario) failed: \(result.output)")
        }
        return object
    }

    /// Requests in the queue, any status.
    func stored() throws -> Int { try queue.total() }

    deinit { stop() }
}

struct RelayError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// LocalPeer is a helper process a relay test starts itself (the token endpoint, the XOAUTH2
/// upstream), stopped when the test ends.
final class LocalPeer {
    let child: Child
    let port: Int
    private let stdin = Pipe()

    /// `token_server.py` (Microsoft's token endpoint shape over TLS, test PKI); it prints "PORT n".
    static func tokenServer() throws -> LocalPeer {
        let script = TestEnvironment.root.appendingPathComponent("Tests/OAuth2Tests/token_server.py").path
        return try LocalPeer(["python3", script, TestEnvironment.cert("server.pem"), TestEnvironment.cert("server.key")], portFile: nil)
    }

    /// aiosmtpd in `xoauth2` mode: STARTTLS, then only XOAUTH2 tokens the token server issued for `user`.
    static func xoauth2Upstream(user: String, tokenPort: Int, maildir: String) throws -> LocalPeer {
        let script = TestEnvironment.root.appendingPathComponent("scripts/peers.d/aiosmtpd_peer.py").path
        let portFile = maildir + ".port"
        return try LocalPeer(["python3", script, "--mode", "xoauth2", "--maildir", maildir, "--port-file", portFile,
                              "--cert", TestEnvironment.cert("server.pem"), "--key", TestEnvironment.cert("server.key"),
                              "--user", user, "--token-introspect", "https://127.0.0.1:\(tokenPort)/introspect",
                              "--token-ca", TestEnvironment.cert("ca.pem")], portFile: portFile)
    }

    /// aiosmtpd_peer.py in `mode` (plain, or starttls with the test PKI and alice/wonderland) for
    /// one test, writing to `maildir`, its connections counted (see `connections`).
    static func aiosmtpd(mode: String, maildir: String) throws -> LocalPeer {
        let script = TestEnvironment.root.appendingPathComponent("scripts/peers.d/aiosmtpd_peer.py").path
        let portFile = maildir + ".port"
        var command = ["python3", script, "--mode", mode, "--maildir", maildir, "--port-file", portFile,
                       "--connections-file", maildir + ".connections"]
        if mode != "plain" { command += ["--cert", TestEnvironment.cert("server.pem"), "--key", TestEnvironment.cert("server.key")] }
        let peer = try LocalPeer(command, portFile: portFile)
        peer.maildir = maildir
        return peer
    }

    /// The maildir of a peer made by `aiosmtpd(mode:maildir:)`.
    private(set) var maildir: String?

    /// The connections the peer counted: open at most at once, and in all (zeros before the first).
    var connections: (peak: Int, total: Int) {
        guard let maildir, let data = FileManager.default.contents(atPath: maildir + ".connections"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return (0, 0) }
        return (object["peak"] as? Int ?? 0, object["total"] as? Int ?? 0)
    }

    /// The messages the peer stored, in order: content and envelope (its .json).
    func messages() -> [(content: [UInt8], envelope: [String: Any])] {
        guard let maildir else { return [] }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            let base = maildir + "/" + name.dropLast(".json".count)
            guard let meta = FileManager.default.contents(atPath: base + ".json"),
                  let envelope = try? JSONSerialization.jsonObject(with: meta) as? [String: Any],
                  let content = FileManager.default.contents(atPath: base + ".eml") else { return nil }
            return (Array(content), envelope)
        }
    }

    private init(_ command: [String], portFile: String?) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let out = Pipe()
        process.standardInput = stdin  // token_server.py exits when this closes
        process.standardOutput = out
        // Its log goes beside its files (or nowhere), not into the test's output.
        let logPath = (portFile ?? NSTemporaryDirectory() + "token-server-\(UUID().uuidString)") + ".log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath) ?? FileHandle.nullDevice
        child = try Child(process)
        var port: Int?
        if let portFile {
            _ = eventually(timeout: 30) { FileManager.default.fileExists(atPath: portFile) }
            port = Int(((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        } else {
            var line: [UInt8] = []
            var byte: UInt8 = 0
            var ready = pollfd(fd: out.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
            while poll(&ready, 1, 30_000) == 1, read(ready.fd, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("PORT ") { port = Int(text.dropFirst(5)) }
        }
        guard let port else {
            child.stop(SIGKILL)
            throw RelayError("\(command[1]) did not start within 30 s")
        }
        self.port = port
    }

    func stop() { child.stop() }
    deinit { child.stop() }
}
