import Foundation
import MailQueue
import Testing

/// The relay killed while clients submit, and the relay under load: every 250 stands.
@Suite("Relay durability and load", .serialized)
struct RelayDurabilityTests {
    /// Starts relay_client.py durable in the background; its JSON lands in `output`.
    func clients(_ relay: RelayProcess, threads: Int, seconds: Double, pause: Double = 0, output: String) throws -> Child {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestEnvironment.root.appendingPathComponent("Tests/MailQueueTests/relay_client.py").path,
                             "durable", String(relay.port), "--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                             "--threads", String(threads), "--seconds", String(seconds), "--pause", String(pause)]
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        return try Child(process)
    }

    func messages(_ output: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any]
        return object?["messages"] as? [[String: Any]] ?? []
    }

    /// The markers (Subject lines) of the stored requests, with how often each is there.
    func storedSubjects(_ relay: RelayProcess) throws -> [String: Int] {
        let result = try runProcess("sqlite3", [relay.queue.path, "SELECT subject FROM mail_request"])
        #expect(result.status == 0, "\(result.output)")
        var counts: [String: Int] = [:]
        for line in result.stdout.split(separator: "\n") { counts[String(line), default: 0] += 1 }
        return counts
    }

    @Test("SIGKILL at random points while 4 clients submit: every message a client saw 250 for is stored once and delivered once")
    func killedWhileSubmitting() throws {
        guard let upstream = TestEnvironment.required("SMTP_AIOSMTPD_TLS"),
              let maildir = TestEnvironment.required("SMTP_AIOSMTPD_TLS_MAILDIR") else { return }
        let relay = try RelayProcess()
        let accept = ["--no-send", "--allow-cleartext-auth-on-loopback", "--auth-failure-delay", "0"]
        try relay.start(accept)
        let output = relay.queue.directory + "/clients.json"
        // Paced (about 20 messages a second per client) so the delivery check below stays short.
        let submitters = try clients(relay, threads: 4, seconds: 8, pause: 0.05, output: output)
        var kills = 0
        while submitters.isRunning && kills < 4 {
            usleep(UInt32.random(in: 500_000...1_500_000))  // a random point in the stream of submissions, not a wait for something
            guard submitters.isRunning else { break }
            relay.stop(SIGKILL)
            kills += 1
            try relay.start(accept)
        }
        #expect(try submitters.wait(timeout: 60) == 0)
        relay.stop()
        let sent = try messages(output)
        let acked = sent.filter { $0["acked"] as? Bool == true }
        #expect(kills >= 2 && acked.count >= 20, "kills \(kills), acknowledged \(acked.count) of \(sent.count)")
        // Every acknowledged message is in the queue exactly once; nothing is there twice.
        let stored = try storedSubjects(relay)
        for message in acked {
            let marker = message["marker"] as? String ?? ""
            #expect(stored[marker] == 1, "\(marker) acknowledged (request \(message["id"] ?? "?")) but stored \(stored[marker] ?? 0) times")
        }
        #expect(stored.values.allSatisfy { $0 == 1 })
        // A message stored without its 250 reaching the client can only be one whose session
        // the kill cut between the commit and the reply: at most one per client per kill.
        let unacknowledgedStored = sent.filter { $0["acked"] as? Bool != true && stored[$0["marker"] as? String ?? ""] != nil }
        #expect(unacknowledgedStored.count <= 4 * kills, "\(unacknowledgedStored.count) stored without a 250 seen")

        // Then delivered: every stored message reaches the upstream once.
        let delivered = try relay.queue.run(["send", "--once", "--smtp", upstream, "--security", "starttls", "--ca-file",
                                             TestEnvironment.cert("ca.pem"), "--wallet", relay.wallet, "--credential-alias", "up",
                                             "--user", "alice", "--helo", "relay.test"])
        #expect(delivered.status == 0, "\(delivered.output)")
        // One pass over the upstream's files: how often each of our markers arrived.
        var arrived: [String: Int] = [:]
        let ours = Set(sent.compactMap { $0["marker"] as? String })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: maildir)) ?? [] where name.hasSuffix(".eml") {
            guard let data = FileManager.default.contents(atPath: maildir + "/" + name),
                  let subject = String(decoding: data, as: UTF8.self).split(separator: "\r\n").first(where: { $0.hasPrefix("Subject: durable-") })
            else { continue }
            let marker = String(subject.dropFirst("Subject: ".count))
            if ours.contains(marker) { arrived[marker, default: 0] += 1 }
        }
        for message in acked {
            let marker = message["marker"] as? String ?? ""
            #expect(arrived[marker] == 1, "\(marker) delivered \(arrived[marker] ?? 0) times")
        }
        #expect(arrived.values.allSatisfy { $0 == 1 } && arrived.count == stored.count)
    }

    @Test("50 clients at once for 30 s: no message lost, threads and memory bounded")
    func load() throws {
        let relay = try RelayProcess()
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback", "--max-connections-per-client", "60"])
        defer { relay.stop() }
        let pid = try #require(relay.child?.pid)
        let output = relay.queue.directory + "/clients.json"
        let submitters = try clients(relay, threads: 50, seconds: 30, output: output)
        var peakThreads = 0, peakKiB = 0
        // Peak RSS in the first and in the second half of the run: a leak per message or per
        // session would make the second clearly higher than the first.
        var halfPeakKiB = [0, 0]
        let started = Date()
        while submitters.isRunning {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let half = Date().timeIntervalSince(started) < 15 ? 0 : 1
            for line in status.split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.first == "Threads:", let n = Int(fields[1]) { peakThreads = max(peakThreads, n) }
                if fields.first == "VmRSS:", let n = Int(fields[1]) {
                    peakKiB = max(peakKiB, n)
                    halfPeakKiB[half] = max(halfPeakKiB[half], n)
                }
            }
            usleep(200_000)  // sampling interval
        }
        #expect(try submitters.wait(timeout: 90) == 0)
        let sent = try messages(output)
        let acked = sent.filter { $0["acked"] as? Bool == true }
        #expect(acked.count == sent.count && acked.count >= 50, "\(acked.count) of \(sent.count) acknowledged")
        let stored = try storedSubjects(relay)
        #expect(stored.count == acked.count && acked.allSatisfy { stored[$0["marker"] as? String ?? ""] == 1 })
        // A thread per session (50) plus listeners, the signal sources and the runtime's own.
        #expect(peakThreads > 0 && peakThreads <= 50 + 20, "peak threads \(peakThreads)")
        #expect(peakKiB > 0 && peakKiB < 300 * 1024, "peak RSS \(peakKiB) KiB")
        #expect(halfPeakKiB[1] < halfPeakKiB[0] + 32 * 1024, "RSS grew from \(halfPeakKiB[0]) KiB (first 15 s) to \(halfPeakKiB[1]) KiB")
        print("relay load: \(acked.count) messages from 50 clients in 30 s; peak threads \(peakThreads), peak RSS \(peakKiB / 1024) MiB (first half \(halfPeakKiB[0] / 1024), second half \(halfPeakKiB[1] / 1024))")
    }
}
