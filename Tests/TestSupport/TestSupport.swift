import Foundation
import Testing

/// TestPaths are the repository's places the tests use, whatever target they are in.
public enum TestPaths {
    /// The repository's root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The test PKI (`SMTP_CERTS_DIR`, else `certs/`).
    public static let certs = URL(
        fileURLWithPath: ProcessInfo.processInfo.environment["SMTP_CERTS_DIR"] ?? root.appendingPathComponent("certs").path)

    /// A file of the test PKI, e.g. `ca.pem`.
    public static func cert(_ name: String) -> String { certs.appendingPathComponent(name).path }

    /// A built executable, e.g. `smtp-wallet`: next to the test bundle (the same build), else
    /// in `.build/debug`.
    public static func executable(_ name: String) -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [beside, beside.deletingLastPathComponent(), root.appendingPathComponent(".build/debug")] {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return root.appendingPathComponent(".build/debug/\(name)").path
    }
}

/// TestPeers reads the addresses of the real servers `scripts/test` starts.
public enum TestPeers {
    /// A variable that must be set under CI: without it the test is skipped by hand and
    /// records an issue under `CI=true`, where the test script must have provided it.
    public static func required(_ variable: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let value = environment[variable], !value.isEmpty else {
            if environment["CI"] == "true" {
                Issue.record("\(variable) is not set: scripts/test must start this peer under CI")
            }
            return nil
        }
        return value
    }

    /// A peer's `host:port` from the environment (see `required`).
    public static func peer(_ variable: String) -> (host: String, port: Int)? {
        guard let value = required(variable) else { return nil }
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]) else {
            Issue.record("\(variable)=\(value) is not HOST:PORT")
            return nil
        }
        return (String(value[..<colon]), port)
    }
}

/// ProcessResult is how a program run by a test ended.
public struct ProcessResult: Sendable {
    /// The exit status.
    public let status: Int32
    /// What it wrote to standard output.
    public let stdout: String
    /// What it wrote to standard error.
    public let stderr: String
    /// Both, for messages.
    public var output: String { stdout + stderr }
}

/// Runs a program to completion with standard input closed, capturing both outputs (read
/// before waiting, so a child that fills one pipe cannot block). A bare name is looked up on PATH.
/// A program still running after `timeout` seconds is killed and `ChildTimeout` thrown.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       directory: String? = nil, timeout: Double = 300) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let child = try Child(process)
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    nonisolated(unsafe) var outData = Data()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
    let status = try child.wait(timeout: timeout)
    // A grandchild may still hold the pipes open: bounded too.
    guard group.wait(timeout: .now() + 30) == .success else {
        throw ChildTimeout(program: child.description + " (its output, still open)", seconds: 30)
    }
    return ProcessResult(status: status, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// TestTranscripts are server scripts several test targets play.
public enum TestTranscripts {
    /// EHLO, STARTTLS, the handshake, EHLO again and QUIT: enough to exercise a TLS upgrade.
    public static let starttls = """
        220 mail.example.test ESMTP
        > EHLO client.example.com
        250-mail.example.test
        250 STARTTLS
        > STARTTLS
        220 2.0.0 go ahead
        @tls
        > EHLO client.example.com
        250 mail.example.test
        > QUIT
        221 bye
        """
}
