import Foundation
import MailQueue
import Testing

/// The relay killed with its in-process sender running: what a client saw 250 for is delivered
/// once, or left `uncertain` and shown, never sent twice.
@Suite("Relay durability with the sender running", .serialized)
struct RelaySenderDurabilityTests {
    @Test("SIGKILL at random points while 4 clients submit and the sender delivers: every 250 delivered once or left uncertain and shown; nothing delivered twice")
    func killedWhileSubmittingAndSending() throws {
        let relay = try RelayProcess()
        let peer = try LocalPeer.aiosmtpd(mode: "starttls", maildir: relay.queue.directory + "/upstream")
        defer { peer.stop() }
        // A short lease, so that what a killed sender had claimed (and not yet marked) is taken
        // over by the next relay within the test.
        let arguments = ["--allow-cleartext-auth-on-loopback", "--auth-failure-delay", "0", "--smtp", "127.0.0.1:\(peer.port)",
                         "--security", "starttls", "--ca-file", TestEnvironment.cert("ca.pem"), "--credential-alias", "up",
                         "--helo", "relay.test", "--idle-poll-seconds", "0.1", "--lease-seconds", "2", "--batch", "5"]
        try relay.start(arguments)
        let clients = try DurableClients(relay, threads: 4, seconds: 120, pause: 0.05)
        let kills = try relay.killRepeatedly(times: 4, while: clients, restartingWith: arguments)
        #expect(try clients.finish() == 0)
        // The last relay delivers what is left (claims of the killed ones expire after 2 s).
        let drained = try eventually(timeout: 90) {
            let counts = try relay.queue.counts()
            return counts["unsent", default: 0] + counts["sending", default: 0] == 0
        }
        relay.stop()
        let counts = try relay.queue.counts()
        #expect(drained, "\(counts)")

        let sent = clients.messages()
        let acked = sent.filter { $0["acked"] as? Bool == true }
        #expect(kills == 4 && acked.count >= 20, "kills \(kills), acknowledged \(acked.count) of \(sent.count)")
        let stored = try relay.storedStatuses()
        let arrived = peer.arrivedMarkers()
        #expect(arrived.values.allSatisfy { $0 == 1 }, "delivered twice: \(arrived.filter { $0.value > 1 })")
        var uncertain = 0
        for message in acked {
            let marker = message["marker"] as? String ?? ""
            let statuses = stored[marker] ?? []
            #expect(statuses.count == 1, "\(marker) acknowledged but stored \(statuses.count) times")
            if statuses == ["uncertain"] {
                uncertain += 1
                #expect((arrived[marker] ?? 0) <= 1)
            } else {
                #expect(statuses == ["sent"] && arrived[marker] == 1,
                        "\(marker) acknowledged: \(statuses), delivered \(arrived[marker] ?? 0) times")
            }
        }
        // Nothing arrives that was not stored; a message stored without its 250 reaching the
        // client is one whose session a kill cut between the commit and the reply: at most one
        // per client per kill.
        #expect(arrived.keys.allSatisfy { stored[$0] != nil })
        let unacknowledgedDelivered = sent.filter { $0["acked"] as? Bool != true && arrived[$0["marker"] as? String ?? ""] != nil }
        #expect(unacknowledgedDelivered.count <= 4 * kills, "\(unacknowledgedDelivered.count) delivered without a 250 seen")
        // The uncertain ones are shown, not hidden.
        let allUncertain = stored.values.filter { $0 == ["uncertain"] }.count
        #expect(allUncertain >= uncertain)
        #expect(counts["uncertain", default: 0] == allUncertain, "status --json: \(counts)")
        print("relay with sender: \(kills) kills, \(acked.count) acknowledged, \(arrived.count) delivered, \(allUncertain) left uncertain")
    }
}
