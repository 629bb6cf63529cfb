import Foundation
import Testing

/// RunningDaemon is `mail-queue send --daemon …` started by a test on a CLIQueue, its stderr
/// and stdout in a file the test reads.
final class RunningDaemon {
    let child: Child
    let log: String

    /// Starts the daemon with `arguments` (after `send --daemon --database …`) and `environment`
    /// added to the test's own.
    init(_ queue: CLIQueue, _ arguments: [String], environment: [String: String] = [:], name: String = "daemon") throws {
        log = queue.directory + "/\(name).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary)
        process.arguments = ["send", "--daemon", "--database", queue.database] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        child = try Child(process)
    }

    deinit { child.stop(SIGKILL) }

    /// What it wrote so far.
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// The port its `--metrics 127.0.0.1:0` endpoint got, read from its log (nil after `timeout`).
    func metricsPort(timeout: Double = 30) -> Int? {
        var port: Int?
        _ = eventually(timeout: timeout) {
            guard let line = output.split(separator: "\n").first(where: { $0.contains("serving /metrics") }),
                  let range = line.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return false }
            port = Int(line[range].split(separator: ":").last ?? "")
            return port != nil
        }
        return port
    }
}

/// An HTTP GET with curl (a client no one here wrote): status code and body.
func curlGet(_ port: Int, _ path: String) throws -> (status: Int, body: String) {
    let result = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "10", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"],
                                timeout: 30)
    var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.popLast() ?? "") ?? 0
    return (status, lines.joined(separator: "\n"))
}

/// The samples of a Prometheus text exposition: `name{labels}` → value.
func parseExposition(_ text: String) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        samples[String(line[..<space])] = value
    }
    return samples
}
