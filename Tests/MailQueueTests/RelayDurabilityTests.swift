import Foundation
import MailQueue
import Testing

/// The relay killed while clients submit, and the relay under load: every 250 stands.
@Suite("Relay durability and load", .serialized)
struct RelayDurabilityTests {
    @Test("SIGKILL at random points while 4 clients submit: every message a client saw 250 for is stored once and delivered once")
    func killedWhileSubmitting() throws {
        let relay = try RelayProcess()
        let peer = try LocalPeer.aiosmtpd(mode: "starttls", maildir: relay.queue.directory + "/upstream")
        defer { peer.stop() }
        let accept = ["--no-send", "--allow-cleartext-auth-on-loopback", "--auth-failure-delay", "0"]
        try relay.start(accept)
        // Paced (about 20 messages a second per client) so the delivery check below stays short.
        let clients = try DurableClients(relay, threads: 4, seconds: 120, pause: 0.05)
        let kills = try relay.killRepeatedly(times: 4, while: clients, restartingWith: accept)
        #expect(try clients.finish() == 0)
        relay.stop()
        let sent = clients.messages()
        let acked = sent.filter { $0["acked"] as? Bool == true }
        #expect(kills == 4 && acked.count >= 20, "kills \(kills), acknowledged \(acked.count) of \(sent.count)")
        // Every acknowledged message is in the queue exactly once; nothing is there twice.
        let stored = try relay.storedStatuses().mapValues(\.count)
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
        let delivered = try relay.queue.run(["send", "--once", "--smtp", "127.0.0.1:\(peer.port)", "--security", "starttls",
                                             "--ca-file", TestEnvironment.cert("ca.pem"), "--wallet", relay.wallet,
                                             "--credential-alias", "up", "--user", "alice", "--helo", "relay.test"])
        #expect(delivered.status == 0, "\(delivered.output)")
        let arrived = peer.arrivedMarkers()
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
        let submitters = try DurableClients(relay, threads: 50, seconds: 30)
        var peakThreads = 0, peakKiB = 0
        // Peak RSS in the first and in the second half of the run: a leak per message or per
        // session would make the second clearly higher than the first.
        var halfPeakKiB = [0, 0]
        let started = Date()
        while submitters.child.isRunning {
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
        #expect(try submitters.child.wait(timeout: 90) == 0)
        let sent = submitters.messages()
        let acked = sent.filter { $0["acked"] as? Bool == true }
        #expect(acked.count == sent.count && acked.count >= 50, "\(acked.count) of \(sent.count) acknowledged")
        let stored = try relay.storedStatuses()
        #expect(stored.count == acked.count && acked.allSatisfy { stored[$0["marker"] as? String ?? ""]?.count == 1 })
        // A thread per session (50) plus listeners, the signal sources and the runtime's own.
        #expect(peakThreads > 0 && peakThreads <= 50 + 20, "peak threads \(peakThreads)")
        #expect(peakKiB > 0 && peakKiB < 300 * 1024, "peak RSS \(peakKiB) KiB")
        #expect(halfPeakKiB[1] < halfPeakKiB[0] + 32 * 1024, "RSS grew from \(halfPeakKiB[0]) KiB (first 15 s) to \(halfPeakKiB[1]) KiB")
        print("relay load: \(acked.count) messages from 50 clients in 30 s; peak threads \(peakThreads), peak RSS \(peakKiB / 1024) MiB (first half \(halfPeakKiB[0] / 1024), second half \(halfPeakKiB[1] / 1024))")
    }
}
