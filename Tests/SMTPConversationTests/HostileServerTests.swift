import Foundation
import SMTPConversation
import Testing

/// The client against servers that misbehave on purpose (`hostile_smtp.py`): every input a
/// server controls is bounded in size and time.
@Suite("Hostile servers")
struct HostileServerTests {
    @Test("a greeting dripped one byte a second fails with a timeout once tx_timeout covers the whole reply")
    func drip() throws {
        let server = try HostileServer("drip")
        defer { server.stop() }
        let started = Date()
        #expect {
            _ = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 2)
        } throws: { error in
            (error as? SMTPError)?.kindName == "timeout"
        }
        let elapsed = Date().timeIntervalSince(started)
        // 2 s plus scheduling; without the whole-reply deadline it waits as long as the drip lasts (100 s).
        #expect(elapsed >= 1.5 && elapsed < 10, "took \(elapsed) s")
    }

    @Test("endless continuation lines are a malformed reply, and the client's memory stays bounded")
    func endlessContinuation() throws {
        let server = try HostileServer("endless")
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/endless.smtp"
        try "open_connection host=127.0.0.1 port=\(server.port) tx_timeout=30\n".write(toFile: script, atomically: true, encoding: .utf8)
        // The real binary as a child of a small Python launcher, which reads the child's peak
        // RSS from the kernel's own accounting (getrusage RUSAGE_CHILDREN, kilobytes on Linux).
        let launcher = """
            import resource, subprocess, sys
            done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            sys.stdout.write(done.stdout.decode(errors="replace"))
            print("peak_rss_kb=%d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            sys.exit(done.returncode)
            """
        let result = try runProcess("python3", ["-c", launcher, TestPaths.executable("smtp-repl"), "run", script], timeout: 120)
        let peak = result.stdout.split(separator: "\n").last { $0.hasPrefix("peak_rss_kb=") }
            .flatMap { Int($0.dropFirst("peak_rss_kb=".count)) }
        let kilobytes = try #require(peak, "\(result.output)")
        #expect(result.status == 3, "\(result.output)")
        #expect(result.stdout.contains("a reply longer than 512 lines or 65536 octets"), "\(result.output)")
        // The server sends up to 256 MB; the cap stops reading after 64 KiB.
        #expect(kilobytes < 100_000, "peak RSS \(kilobytes) kB")
    }

    @Test("a greeting with a four-digit code is malformed")
    func fourDigitCode() throws {
        let server = try HostileServer("code4")
        defer { server.stop() }
        #expect {
            _ = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
        } throws: { error in
            guard let error = error as? SMTPError, error.code == .malformedReply, let text = error.message else { return false }
            return text.contains("2500 hi")
        }
    }
}
