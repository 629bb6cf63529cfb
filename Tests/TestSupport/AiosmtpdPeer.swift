import Foundation

/// AiosmtpdPeer is an aiosmtpd server (`scripts/peers.d/aiosmtpd_peer.py`) a test starts for
/// itself, when it needs a setting the shared peers of `scripts/peers` do not have (AUTH
/// required before MAIL). It listens on 127.0.0.1, writes each message to its maildir, and is
/// stopped by `stop()`.
public final class AiosmtpdPeer: @unchecked Sendable {
    /// The port it listens on.
    public let port: Int
    /// Where it writes the messages it accepts (NNNNNN.eml and NNNNNN.json).
    public let maildir: String
    /// The user name and password it accepts.
    public static let user = "alice", password = "wonderland"
    private let child: Child

    /// Starts the peer in `mode` (`starttls`, `smtps`) with the test PKI's server certificate.
    /// Returns nil when aiosmtpd cannot be imported: the test is skipped by hand and records an
    /// issue under `CI=true`, where `scripts/setup` must have installed it.
    public static func start(mode: String = "starttls", authRequired: Bool = false) throws -> AiosmtpdPeer? {
        let python = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"
        guard (try? runProcess(python, ["-c", "import aiosmtpd"], timeout: 30))?.status == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                throw ChildTimeout(program: "\(python) -c 'import aiosmtpd' (aiosmtpd is not installed)", seconds: 0)
            }
            return nil
        }
        return try AiosmtpdPeer(python: python, mode: mode, authRequired: authRequired)
    }

    private init(python: String, mode: String, authRequired: Bool) throws {
        let directory = NSTemporaryDirectory() + "aiosmtpd-" + UUID().uuidString
        maildir = directory + "/mail"
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
        let portFile = directory + "/port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, TestPaths.root.appendingPathComponent("scripts/peers.d/aiosmtpd_peer.py").path,
                             "--mode", mode, "--maildir", maildir, "--port-file", portFile,
                             "--cert", TestPaths.cert("server.pem"), "--key", TestPaths.cert("server.key"),
                             "--user", Self.user, "--password", Self.password] + (authRequired ? ["--auth-required"] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        child = try Child(process)
        // The peer writes the port file (atomically) once it listens.
        var port: Int?
        for _ in 0..<300 where port == nil {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if port == nil {
                guard child.isRunning else { break }
                usleep(50_000)
            }
        }
        guard let port else {
            child.stop()
            throw ChildTimeout(program: "aiosmtpd_peer.py (wrote no port file)", seconds: 15)
        }
        self.port = port
    }

    /// The envelopes of the messages accepted so far (the peer's NNNNNN.json files).
    public func envelopes() -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            (try? Data(contentsOf: URL(fileURLWithPath: maildir + "/" + name)))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    /// Stops the peer.
    public func stop() { child.stop() }

    deinit { child.stop() }
}
