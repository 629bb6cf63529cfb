import Foundation
import MailMessage
import SMTPConversation
@_exported import TestSupport
import Testing

/// Paths and peers shared by the tests (copied from SMTPConversationTests' Support.swift).
enum TestEnvironment {
    static let root = TestPaths.root
    static let certs = TestPaths.certs

    static func cert(_ name: String) -> String { certs.appendingPathComponent(name).path }

    /// Trust only the test CA.
    static var testTLS: TLSConfiguration { TLSConfiguration(trust: .pemFile(cert("ca.pem"))) }

    /// A peer's `host:port` from the environment (see `TestPeers`).
    static func peer(_ variable: String) -> (host: String, port: Int)? { TestPeers.peer(variable) }

    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mailmessage-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What Python's email package (strict policy) sees in a message; see parse_message.py.
struct Parsed {
    let json: [String: Any]

    var error: String? { json["error"] as? String }
    var headers: [[String]] { json["headers"] as? [[String]] ?? [] }
    func header(_ name: String) -> String? { headers.first { $0[0].lowercased() == name.lowercased() }?[1] }
    func headerNames() -> [String] { headers.map { $0[0] } }
    func addresses(_ name: String) -> [[String]] { (json["addresses"] as? [String: [[String]]])?[name] ?? [] }
    var parts: [[String: Any]] { json["parts"] as? [[String: Any]] ?? [] }
    var leaves: [[String: Any]] { parts.filter { !($0["content_type"] as! String).hasPrefix("multipart/") } }
    var maxLine: Int { json["max_line"] as? Int ?? -1 }
    var bareLF: Int { json["bare_lf"] as? Int ?? -1 }
    var defects: [String] { (json["defects"] as? [String] ?? []) + parts.flatMap { $0["defects"] as? [String] ?? [] } }
}

/// Parses raw messages with Python's `email.parser.BytesParser(policy=email.policy.strict)`.
func parseWithPython(_ messages: [[UInt8]]) throws -> [Parsed] {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var paths: [String] = []
    for (index, bytes) in messages.enumerated() {
        let path = directory.appendingPathComponent("\(index).eml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        paths.append(path)
    }
    return try parseFilesWithPython(paths)
}

/// Parses message files with Python's email package (strict policy).
func parseFilesWithPython(_ paths: [String]) throws -> [Parsed] {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("parse_message.py")
        .path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script] + paths
    let output = Pipe()
    process.standardOutput = output
    let child = try Child(process)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    guard try child.wait() == 0, let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else {
        throw ParseFailure(
            description:
                "parse_message.py exited \(child.terminationStatus.map(String.init) ?? "?"): \(String(decoding: data, as: UTF8.self))")
    }
    return list.map(Parsed.init)
}

struct ParseFailure: Error, CustomStringConvertible { let description: String }

/// SHA-256 as Python's hashlib prints it, via the `sha256sum` tool (no crypto code here).
func sha256(_ bytes: [UInt8]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    let child = try Child(process)
    let writer = Thread {
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    try child.wait()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}

/// Deterministic pseudo-random bytes (every value 0–255 appears).
func sampleBytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// A message with the usual fields set, for tests that change one thing.
func sampleMessage(charset: MessageCharset = .utf8) throws -> MailMessage {
    var message = try MailMessage(
        from: "Sender <sender@example.com>", to: ["to@example.com"], subject: "hello",
        text: "body\n", charset: charset)
    message.date = Date(timeIntervalSince1970: 1_700_000_000)
    message.timeZoneOffset = 9 * 3600
    return message
}
