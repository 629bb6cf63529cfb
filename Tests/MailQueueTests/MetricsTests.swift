import Foundation
@testable import MailQueue
import Testing

/// `send --daemon --metrics`: Prometheus text over HTTP, scraped with curl during a run, and
/// `/healthz`; the endpoint's bounds against hostile clients; the Grafana dashboard in contrib/.
@Suite("mail-queue send --daemon --metrics")
struct MetricsTests {
    @Test("scraped during a run, the figures agree with status --json; the dashboard names only metrics served")
    func scrapeAgreesWithStatus() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        // One held (an incident's pattern), three to send.
        _ = try queue.enqueue("held one", pattern: "incident")
        let held = try queue.run(["hold", "--pattern", "incident"])
        #expect(held.status == 0, "\(held.output)")
        let ids = try (1...3).map { try queue.enqueue("metrics \($0)") }
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com", "--metrics", "127.0.0.1:0"])
        let port = try #require(daemon.metricsPort(), "\(daemon.output)")
        #expect(eventually(timeout: 60) { (try? queue.counts()["sent"]) == ids.count }, "\(daemon.output)")

        let scrape = try curlGet(port, "/metrics")
        #expect(scrape.status == 200)
        let samples = parseExposition(scrape.body)
        let status = try queue.counts()
        for name in RequestStatus.allCases.map(\.rawValue) {
            #expect(samples["mail_queue_requests{status=\"\(name)\"}"] == Double(status[name] ?? -1), "\(name): \(scrape.body)")
        }
        #expect(samples["mail_queue_requests{status=\"held\"}"] == 1)
        #expect(samples["mail_queue_uncertain_requests"] == Double(status["uncertain"] ?? -1))
        #expect(samples["mail_queue_sends_total{outcome=\"sent\",reply_class=\"2xx\"}"] == 3, "\(scrape.body)")
        #expect(samples["mail_queue_send_duration_seconds_count"] == 3)
        #expect(samples["mail_queue_send_duration_seconds_bucket{le=\"+Inf\"}"] == 3)
        #expect((samples["mail_queue_smtp_connections_opened_total"] ?? 0) >= 1)
        #expect(samples["mail_queue_database_up"] == 1)
        #expect(samples["mail_queue_oldest_due_request_age_seconds"] == 0, "nothing left due")
        #expect(samples["mail_queue_retries_total"] == 0)
        #expect(daemon.child.isRunning, "scraped during the run")

        // Every metric the dashboard queries is one the daemon serves (its # TYPE line).
        let families = Set(scrape.body.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        let data = try Data(contentsOf: TestEnvironment.root.appendingPathComponent("contrib/grafana-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 10)
        let regex = try NSRegularExpression(pattern: "mail_queue_[a-z_]+")
        var named: Set<String> = []
        for expression in expressions {
            for match in regex.matches(in: expression, range: NSRange(expression.startIndex..., in: expression)) {
                named.insert(String(expression[Range(match.range, in: expression)!]))
            }
        }
        for name in named {
            let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) && !families.contains($0) ? String($0.dropLast($1.count)) : $0 }
            #expect(families.contains(family), "the dashboard names \(name), which the daemon does not serve")
        }
        #expect(named.count >= 15, "\(named.sorted())")
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }

    @Test("/healthz: 200 while the loop and database live; 503 naming the database once the SQLite file is gone; 200 when it is back")
    func healthFollowsTheDatabase() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com", "--metrics", "127.0.0.1:0"])
        let port = try #require(daemon.metricsPort(), "\(daemon.output)")
        let healthy = try curlGet(port, "/healthz")
        #expect(healthy.status == 200 && healthy.body.hasPrefix("ok"), "\(healthy)")

        let moved = queue.path + ".away"
        #expect(rename(queue.path, moved) == 0)
        let gone = try curlGet(port, "/healthz")
        #expect(gone.status == 503, "\(gone)")
        #expect(gone.body.contains("database") && gone.body.contains(queue.path), "the reason names the database: \(gone.body)")
        let scrape = try curlGet(port, "/metrics")
        #expect(scrape.status == 200 && parseExposition(scrape.body)["mail_queue_database_up"] == 0, "\(scrape.body)")
        #expect(rename(moved, queue.path) == 0)
        #expect(try curlGet(port, "/healthz").status == 200)
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }

    @Test("hostile clients: an oversized head gets 431, a silent one is cut off at 5 s, a ninth at once is closed; POST 405, unknown path 404")
    func hostileClients() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD") else { return }
        let queue = try CLIQueue()
        let daemon = try RunningDaemon(queue, ["--smtp", smtp, "--helo", "client.example.com", "--metrics", "127.0.0.1:0"])
        let port = try #require(daemon.metricsPort(), "\(daemon.output)")

        let huge = try RawClient(port: port)
        huge.send("GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
        #expect(huge.readAll(timeout: 10).hasPrefix("HTTP/1.1 431 "))

        #expect(try RawClient(port: port).exchange("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 405 "))
        #expect(try RawClient(port: port).exchange("GET /secrets HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 404 "))
        #expect(try RawClient(port: port).exchange("garbage\r\n\r\n").hasPrefix("HTTP/1.1 400 "))

        // Eight silent clients take every slot; a ninth is closed unanswered, at once.
        let silent = try (0..<MetricsServer.maxConnections).map { _ in try RawClient(port: port) }
        silent[0].send("GET /metr")
        let started = Date()
        #expect(try eventually(timeout: 5) {
            let extra = try RawClient(port: port)
            extra.send("GET /healthz HTTP/1.1\r\n\r\n")
            return extra.readAll(timeout: 2).isEmpty
        }, "a client beyond the limit is closed")
        // Each silent one is cut off by the 5 s limit, unanswered; then /healthz answers again.
        for client in silent { #expect(client.readAll(timeout: 15) == "") }
        let waited = Date().timeIntervalSince(started)
        #expect(waited < 12, "cut off after about 5 s, not \(waited) s")
        #expect(try curlGet(port, "/healthz").status == 200)
        #expect(daemon.child.isRunning)
        kill(daemon.child.pid, SIGTERM)
        #expect(try daemon.child.wait(timeout: 30) == 0, "\(daemon.output)")
    }

    @Test("--metrics on a non-loopback address is refused (exit 2) unless allowed; a malformed one names itself")
    func loopbackOnly() throws {
        let queue = try CLIQueue()
        let remote = try queue.run(["send", "--daemon", "--smtp", "127.0.0.1:1", "--metrics", "0.0.0.0:0"])
        #expect(remote.status == 2 && remote.stderr.contains("0.0.0.0 is not a loopback address"), "\(remote.output)")
        let malformed = try queue.run(["send", "--daemon", "--smtp", "127.0.0.1:1", "--metrics", "localhost"])
        #expect(malformed.status == 2 && malformed.stderr.contains("--metrics localhost: give HOST:PORT, e.g. 127.0.0.1:9464"),
                "\(malformed.output)")
        // Read as --smtp is: an IPv6 address in brackets, a port in range.
        let bare = try queue.run(["send", "--daemon", "--smtp", "127.0.0.1:1", "--metrics", "::1:0"])
        #expect(bare.status == 2 && bare.stderr.contains("--metrics ::1:0: an IPv6 address goes in brackets"), "\(bare.output)")
        let range = try queue.run(["send", "--daemon", "--smtp", "127.0.0.1:1", "--metrics", "127.0.0.1:65536"])
        #expect(range.status == 2 && range.stderr.contains("--metrics 127.0.0.1:65536: the port must be a number from 0 to 65535"),
                "\(range.output)")
        let once = try queue.run(["send", "--once", "--smtp", "127.0.0.1:1", "--metrics", "127.0.0.1:0"])
        #expect(once.status == 2 && once.stderr.contains("--metrics needs --daemon"), "\(once.output)")
        #expect(queue.path.isEmpty == false)
    }

    @Test("the exposition: families typed, label values escaped, reply classes read from recorded errors")
    func exposition() {
        let metrics = SenderMetrics(clock: { 1_000 })
        metrics.walletChecked([SenderMetrics.Certificate(subject: "CN=a \"quoted\"\\name\nx", daysLeft: 12)])
        let text = MetricsExposition.render(metrics.snapshot, gauges: nil, connections: 2)
        #expect(text.contains("mail_queue_certificate_days_left{subject=\"CN=a \\\"quoted\\\"\\\\name\\nx\"} 12"), "\(text)")
        #expect(text.contains("mail_queue_database_up 0") && !text.contains("mail_queue_requests{"))
        #expect(text.contains("# TYPE mail_queue_send_duration_seconds histogram"))
        #expect(SenderMetrics.replyClass("MAIL FROM: 451 4.3.0 busy") == "4xx")
        #expect(SenderMetrics.replyClass("RCPT TO: every recipient refused: b@example.com: 550 5.1.1 unknown") == "5xx")
        #expect(SenderMetrics.replyClass("final dot: connection closed") == "none")
    }
}

/// RawClient is a plain TCP client for the hostile tests: it sends what the test says, as slowly
/// as the test says.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0, "connect: \(String(cString: strerror(errno)))")
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            offset += count
        }
    }

    /// What the server sends until it closes (or `timeout` passes).
    func readAll(timeout: Double) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date(timeIntervalSinceNow: timeout)
        while deadline.timeIntervalSinceNow > 0 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) == 1 else { break }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func exchange(_ text: String) -> String {
        send(text)
        return readAll(timeout: 10)
    }
}

/// `/healthz`'s loop check, on an injected clock.
@Suite("DaemonHealth")
struct DaemonHealthTests {
    @Test("a loop quiet for longer than its limit is unhealthy, naming how long; a beat makes it healthy again")
    func stuckLoop() throws {
        final class Time: @unchecked Sendable { var now = 1_000.0 }
        let time = Time()
        let metrics = SenderMetrics(clock: { time.now })
        let (_, path) = try makeSQLiteStore()
        let health = DaemonHealth(openStore: { () throws(QueueError) in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
                                  metrics: metrics, maxBeatAge: 60, connections: 1)
        metrics.beat()
        time.now += 59
        #expect(health.problem() == nil)
        #expect(health.answer("/healthz")?.status == 200)
        time.now += 2
        #expect(health.problem()?.contains("has not gone round for 61 s (limit 60 s)") == true, "\(health.problem() ?? "")")
        #expect(health.answer("/healthz")?.status == 503)
        metrics.beat()
        #expect(health.answer("/healthz")?.status == 200)
        #expect(health.answer("/other") == nil)
    }
}

/// `/healthz` on PostgreSQL: a private server (`PrivatePostgres`, WakeUpTests) stopped under the daemon.
@Suite("mail-queue send --daemon --metrics on PostgreSQL")
struct PostgresHealthTests {
    @Test("/healthz is 200 on a live PostgreSQL and 503 naming the database once that server is stopped")
    func healthWhenPostgresStops() throws {
        // The shared server tells that PostgreSQL is installed; this test stops its own.
        guard TestEnvironment.required("MAIL_QUEUE_TEST_POSTGRES") != nil, let smtp = TestEnvironment.required("SMTP_AIOSMTPD")
        else { return }
        let server = try PrivatePostgres()
        defer { server.stop() }
        let url = server.url
        let directory = server.directory

        let initialised = try runProcess(TestEnvironment.binary, ["init", "--database", url])
        #expect(initialised.status == 0, "\(initialised.output)")
        let log = directory + "/daemon.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.binary)
        // A long idle poll: the sender itself does not touch the database while the server is down.
        process.arguments = ["send", "--daemon", "--database", url, "--smtp", smtp, "--helo", "client.example.com",
                             "--idle-poll-seconds", "600", "--metrics", "127.0.0.1:0"]
        process.standardOutput = output
        process.standardError = output
        let daemon = try Child(process)
        defer { daemon.stop(SIGKILL) }
        let printed = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        var port: Int?
        _ = eventually(timeout: 30) {
            guard let range = printed().range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return false }
            port = Int(printed()[range].split(separator: ":").last ?? "")
            return port != nil
        }
        let metricsPort = try #require(port, "\(printed())")
        #expect(try curlGet(metricsPort, "/healthz").status == 200, "\(printed())")
        // Once the worker has claimed (found nothing), it waits out its long idle poll without the database.
        #expect(try eventually(timeout: 30) {
            (parseExposition(try curlGet(metricsPort, "/metrics").body)["mail_queue_claims_total"] ?? 0) >= 1
        }, "\(printed())")

        server.stop()
        let down = try curlGet(metricsPort, "/healthz")
        #expect(down.status == 503, "\(down) \(printed())")
        #expect(down.body.contains("database"), "\(down.body)")
        #expect(!down.body.contains("password"), "\(down.body)")
        #expect(parseExposition(try curlGet(metricsPort, "/metrics").body)["mail_queue_database_up"] == 0)
    }
}
