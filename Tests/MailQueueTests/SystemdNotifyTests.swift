import Foundation
import MailQueue
import Testing

/// FakeNotifySocket plays systemd's side of `sd_notify`: a datagram socket at a path, or at an
/// abstract name (`@…`), that records what the service sends.
final class FakeNotifySocket {
    let fd: Int32
    /// What goes in `NOTIFY_SOCKET`.
    let name: String

    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let unique = "mq-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
        name = abstract ? "@" + unique : try temporaryDirectory() + "/notify.sock"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { path in for (index, byte) in bytes.enumerated() { path[index] = byte } }
        let size = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        #expect(bound == 0, "bind \(name): \(String(cString: strerror(errno)))")
    }

    deinit { close(fd) }

    /// The next datagram, with the time it came; nil after `timeout` seconds.
    func receive(timeout: Double) -> (text: String, at: Double)? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return (String(decoding: buffer[..<count], as: UTF8.self), Date().timeIntervalSince1970)
    }

    /// Datagrams until one equal to `text` (which ends the list), within `timeout` seconds.
    func receive(until text: String, timeout: Double) -> [(text: String, at: Double)] {
        var seen: [(text: String, at: Double)] = []
        let deadline = Date().timeIntervalSince1970 + timeout
        while let next = receive(timeout: max(0.01, deadline - Date().timeIntervalSince1970)) {
            seen.append(next)
            if next.text == text { break }
        }
        return seen
    }
}

/// The daemon under systemd-style supervision: a fake notification socket in NOTIFY_SOCKET.
@Suite("systemd notification (sd_notify without libsystemd)")
struct SystemdNotifyTests {
    @Test("READY=1 once start-up is done (metrics served), WATCHDOG=1 at about half WATCHDOG_USEC, STOPPING=1 on SIGTERM")
    func readyWatchdogStopping() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let notify = try FakeNotifySocket(abstract: false)
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com", "--metrics", "127.0.0.1:0"],
                                       environment: ["NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "1000000"])
        let ready = notify.receive(until: "READY=1", timeout: 60)
        #expect(ready.last?.text == "READY=1", "\(ready.map(\.text)) \(daemon.output)")
        // Start-up is done when READY comes: the health endpoint answers at once.
        let port = try #require(daemon.metricsPort(timeout: 1), "\(daemon.output)")
        #expect(try curlGet(port, "/healthz").status == 200)

        // Watchdog pings for about 3 s: at half of 1 s, so every ~0.5 s.
        var pings: [Double] = []
        let until = Date().timeIntervalSince1970 + 3
        while Date().timeIntervalSince1970 < until, let next = notify.receive(timeout: 2) {
            #expect(next.text == "WATCHDOG=1", "only pings while running: \(next.text)")
            pings.append(next.at)
        }
        #expect((4...8).contains(pings.count), "pings in 3 s at 0.5 s: \(pings.count)")
        for (a, b) in zip(pings, pings.dropFirst()) {
            #expect((0.3...0.9).contains(b - a), "interval \(b - a) s")
        }

        kill(daemon.child.pid, SIGTERM)
        let stopping = notify.receive(until: "STOPPING=1", timeout: 30)
        #expect(stopping.last?.text == "STOPPING=1", "\(stopping.map(\.text))")
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }

    @Test("an abstract socket name (@…) works; no WATCHDOG_USEC, or one for another WATCHDOG_PID: no pings")
    func abstractNameNoWatchdog() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let notify = try FakeNotifySocket(abstract: true)
        // WATCHDOG_PID names another process (the daemon inherited a parent's environment).
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com"],
                                       environment: ["NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"])
        let ready = notify.receive(until: "READY=1", timeout: 60)
        #expect(ready.map(\.text) == ["READY=1"], "\(ready.map(\.text)) \(daemon.output)")
        #expect(notify.receive(timeout: 1.5) == nil, "no watchdog pings for another process's watchdog")
        kill(daemon.child.pid, SIGTERM)
        #expect(notify.receive(until: "STOPPING=1", timeout: 30).map(\.text) == ["STOPPING=1"])
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }

    @Test("the notifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID as sd_notify does")
    func environment() {
        #expect(!SystemdNotifier(environment: [:]).isEnabled)
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]).isEnabled, "only paths and abstract names")
        let mine = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(mine.isEnabled && mine.watchdogInterval == 30)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "zero"]).watchdogInterval == nil)
    }
}
