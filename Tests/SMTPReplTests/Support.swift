import Foundation
import SMTPConversation
import SMTPTranscript
@_exported import TestSupport
import Testing

enum Repl {
    static let root = TestPaths.root
    static let binary = ProcessInfo.processInfo.environment["SMTP_REPL_BIN"] ?? root.appendingPathComponent(".build/debug/smtp-repl").path
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs a program to completion (bounded by `timeout` seconds) and collects its output.
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
                    timeout: Double = 60) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = Pipe()
        process.standardInput = stdin
        let child = try Child(process)
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let deadline = DispatchTime.now() + timeout
        let group = DispatchGroup()
        group.enter()
        nonisolated(unsafe) var data = Data()
        DispatchQueue.global().async {
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if group.wait(timeout: deadline) == .timedOut {
            kill(child.pid, SIGKILL)
            group.wait()
        }
        let status = try child.wait(timeout: 30)
        return Result(status: status, output: String(decoding: data, as: UTF8.self))
    }

    static func repl(_ arguments: [String], input: String? = nil) throws -> Result {
        try run(binary, arguments, input: input)
    }

    static func which(_ program: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A program the test needs; missing, the test is skipped by hand and fails under CI=true.
    static func require(_ program: String) -> String? {
        if let found = which(program) { return found }
        if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(program) is not installed: scripts/setup installs it") }
        return nil
    }

    static func serve(_ fixture: String, mode: MatchMode = .meaning) throws -> TranscriptServer {
        let text = try String(contentsOfFile: path("fixtures/transcripts/\(fixture)"), encoding: .utf8)
        let transcript = try Transcript(parsing: text, name: fixture)
        try transcript.validate()
        let server = try TranscriptServer(
            transcript: transcript, mode: mode,
            tlsCertificatePath: path("certs/server.pem"), tlsKeyPath: path("certs/server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        return server
    }

    static func temporaryFile(_ contents: String, suffix: String = ".smtp") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("repl-\(UUID().uuidString)\(suffix)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

extension Repl {
    /// The message aiosmtpd wrote (NNNNNN.eml, DATA as received) that holds `marker`, waiting at
    /// most `timeout` seconds for its .json (written last) to appear.
    static func receivedMessage(in maildir: String, containing marker: String, timeout: Double = 10) throws -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? []
            for name in names where name.hasSuffix(".json") {
                let eml = maildir + "/" + name.dropLast(".json".count) + ".eml"
                guard let data = FileManager.default.contents(atPath: eml) else { continue }
                if data.range(of: Data(marker.utf8)) != nil { return Array(data) }
            }
            usleep(50_000)
        } while Date() < deadline
        return nil
    }

    /// A peer's address from the environment; missing, the test is skipped by hand and fails under CI=true.
    static func peer(_ variable: String) -> String? {
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return value }
        if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(variable) is not set: scripts/test starts this peer") }
        return nil
    }
}
