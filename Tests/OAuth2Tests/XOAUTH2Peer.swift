import Foundation
import Testing

/// XOAUTH2Peer is aiosmtpd (`scripts/peers.d/aiosmtpd_peer.py --mode xoauth2`) on 127.0.0.1:
/// STARTTLS with the test PKI, then AUTH XOAUTH2 accepting only the JWTs `token_server.py
/// --jwt` signs (right audience, role or scope, not expired) and answering others with
/// Office365's `535 5.7.3 Authentication unsuccessful`.
final class XOAUTH2Peer {
    let child: Child
    let port: Int
    let directory: String

    /// Nil (skipped by hand, an issue under CI=true) when aiosmtpd or cryptography is missing.
    static func start() throws -> XOAUTH2Peer? {
        let check = try run("/usr/bin/env", ["python3", "-c", "import aiosmtpd, cryptography"])
        guard check.status == 0 else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("aiosmtpd or cryptography is missing: scripts/setup installs them") }
            return nil
        }
        return try XOAUTH2Peer()
    }

    private init() throws {
        directory = try temporaryDirectory()
        let portFile = directory + "/port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Paths.root.appendingPathComponent("scripts/peers.d/aiosmtpd_peer.py").path, "--mode", "xoauth2",
                             "--cert", Paths.cert("server.pem"), "--key", Paths.cert("server.key"),
                             "--token-issuer", Paths.cert("server.pem"), "--maildir", directory + "/maildir", "--port-file", portFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        child = try Child(process)
        // The script writes the port file (atomically) once it listens; 30 s at most.
        let deadline = Date().addingTimeInterval(30)
        var found: Int?
        while found == nil, Date() < deadline, child.isRunning {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if found == nil { usleep(20_000) }
        }
        guard let found else {
            child.stop(SIGKILL)
            throw OAuth2TestError("aiosmtpd_peer.py --mode xoauth2 did not start within 30 s")
        }
        port = found
    }

    func stop() { child.stop() }

    deinit { stop() }
}

struct OAuth2TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
