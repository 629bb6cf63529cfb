import Foundation
import OAuth2
import SMTPConversation
@_exported import TestSupport
import Testing
import TrustStore

/// Paths shared by the OAuth2 tests.
enum Paths {
    static let root = TestPaths.root
    static func cert(_ name: String) -> String { root.appendingPathComponent("certs/" + name).path }
    static let tokenServerScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("token_server.py").path

    /// The built `smtp-wallet`.
    static var walletTool: String { TestPaths.executable("smtp-wallet") }
}

/// TokenServer is `token_server.py` (the identity platform's endpoints over TLS with the test
/// PKI) started on 127.0.0.1 with a system-chosen port; `stop()` ends it.
final class TokenServer {
    let stdin = Pipe()
    let child: Child
    let port: Int
    var authority: String { "https://127.0.0.1:\(port)" }

    /// - Parameter jwt: issue JWTs signed with the test PKI's server key (`--jwt`) instead of `at-N`.
    init(jwt: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Paths.tokenServerScript, Paths.cert("server.pem"), Paths.cert("server.key"), Paths.cert("client.pem")]
            + (jwt ? ["--jwt"] : [])
        let out = Pipe()
        // The script exits when this pipe closes, so it cannot outlive a killed test run.
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        child = try Child(process)
        // The script prints "PORT n" once it listens (or exits if it cannot); 30 s at most.
        var line: [UInt8] = []
        var byte: UInt8 = 0
        var ready = pollfd(fd: out.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while poll(&ready, 1, 30_000) == 1, read(ready.fd, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            child.stop(SIGKILL)
            throw OAuth2Error(.configuration, "token_server.py did not start within 30 s (printed '\(text)')")
        }
        self.port = port
    }

    /// A client trusting the test CA.
    static let http = HTTPSClient(caFile: Paths.cert("ca.pem"), timeout: 10)

    /// The identity platform for `tenant` at this server.
    func platform(_ tenant: String = "contoso.onmicrosoft.com", clock: OAuth2Clock = .system) -> IdentityPlatform {
        IdentityPlatform(tenant: tenant, authority: authority, http: Self.http, clock: clock)
    }

    /// The requests received so far (path and form fields).
    func requests() throws -> [(path: String, form: [String: String], contentType: String)] {
        // HTTPSClient only POSTs; Python's own client fetches GET /requests (over TLS, test CA).
        let result = try run("/usr/bin/env", ["python3", "-c", """
            import ssl, urllib.request, sys
            ctx = ssl.create_default_context(cafile=sys.argv[1])
            print(urllib.request.urlopen(sys.argv[2], context=ctx, timeout=30).read().decode())
            """, Paths.cert("ca.pem"), "\(authority)/requests"])
        let array = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return array.map { ($0["path"] as? String ?? "", $0["form"] as? [String: String] ?? [:], $0["contentType"] as? String ?? "") }
    }

    /// Ends the script (its stdin closed, then SIGTERM) and waits for it (bounded).
    func stop() {
        try? stdin.fileHandleForWriting.close()
        child.stop()
    }

    deinit { stop() }
}

/// A clock that moves only when told to, recording each wait instead of sleeping.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double
    private(set) var waits: [Double] = []

    init(start: Double = 1_800_000_000) { time = start }

    var now: Double { lock.withLock { time } }
    func advance(_ seconds: Double) { lock.withLock { time += seconds } }

    var clock: OAuth2Clock {
        OAuth2Clock(now: { [self] in now }, sleep: { [self] seconds in
            lock.withLock {
                waits.append(seconds)
                time += seconds
            }
        })
    }
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "/oauth2-test-XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { throw OAuth2Error(.configuration, "mkdtemp failed") }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}



/// Runs a program to completion (see `runProcess`).
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         directory: String? = nil) throws -> ProcessResult {
    try runProcess(executable, arguments, environment: environment, directory: directory)
}

/// A wallet in a new directory holding `credentials`.
func makeWallet(password: String, credentials: [WalletCredential], identity: Bool = false) throws -> String {
    let path = try temporaryDirectory() + "/wallet"
    try Wallet.create(path, password: password)
    let der = identity ? try CertificateReader.certificates(atPath: Paths.cert("client.pem")).first?.der ?? [] : []
    let key = identity ? try String(contentsOfFile: Paths.cert("client.key"), encoding: .utf8) : ""
    try Wallet.modify(path, password: password) { wallet throws(WalletError) in
        for credential in credentials { try wallet.setCredential(credential) }
        if identity {
            try wallet.setIdentity(certificate: der, privateKeyPEM: key, source: "client.pem")
        }
    }
    return path
}
