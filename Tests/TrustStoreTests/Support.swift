import Foundation
import SMTPConversation
import SMTPTranscript
@_exported import TestSupport
import Testing

@testable import TrustStore

/// Paths shared by the wallet tests.
enum TestEnvironment {
    static let root = TestPaths.root
    static let certs = TestPaths.certs

    static func cert(_ name: String) -> String { certs.appendingPathComponent(name).path }

    /// The built `smtp-wallet`.
    static var walletTool: String { TestPaths.executable("smtp-wallet") }
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/wallet-test-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw WalletError(.io, "mkdtemp failed")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}



/// Runs a program to completion (see `runProcess`).
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         directory: String? = nil) throws -> ProcessResult {
    try runProcess(executable, arguments, environment: environment, directory: directory)
}

/// Runs `smtp-wallet` with arguments.
@discardableResult
func wallet(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    try run(TestEnvironment.walletTool, arguments, environment: environment)
}

/// Runs `openssl`, failing the test with its stderr when it fails.
@discardableResult
func openssl(_ arguments: [String], input: String? = nil) throws -> ProcessResult {
    let result = try run("openssl", arguments)
    if result.status != 0 { throw WalletError(.io, "openssl \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
    return result
}

/// The STARTTLS transcript the test servers play.
let starttlsTranscript = TestTranscripts.starttls

/// The same conversation as `ServerChain.fetch` has (EHLO localhost).
let renewalTranscript = starttlsTranscript.replacingOccurrences(of: "client.example.com", with: "localhost")

/// Starts a transcript server presenting `certificate` (a PEM chain) with `key`.
func serve(_ transcript: String, certificate: String, key: String, connections: Int = 1, port: Int = 0) throws -> TranscriptServer {
    let server = try TranscriptServer(
        transcript: try Transcript(parsing: transcript), port: port, mode: .meaning, tlsCertificatePath: certificate, tlsKeyPath: key,
        readTimeout: 10)
    server.start(connections: connections, acceptTimeout: 20)
    return server
}

/// Connects to a server with the wallet as trust, runs the STARTTLS transcript; nil when TLS held.
func tlsFailure(walletPath: String, server: TranscriptServer, password: String = "") -> String? {
    do {
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 10, walletPath: walletPath, walletPassword: password)
        try connection.ehlo("client.example.com")
        defer { connection.closeConnection() }
        do {
            try connection.starttls()
            try connection.ehlo("client.example.com")
            try connection.quit()
            return nil
        } catch {
            return error.description
        }
    } catch {
        return "\(error)"
    }
}
