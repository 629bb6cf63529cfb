import Foundation
@testable import MailQueue
import SMTPConversation
import Testing

/// Office365's limits per upstream credential (30 messages a minute, 3 connections), and the
/// rule that a relayed request goes out only with its upstream credential.
@Suite("Upstream limits and relayed requests", .serialized)
struct UpstreamLimitsTests {
    /// SlotClock is a fake clock for the sender's rate limiter that also tells, at each MAIL
    /// FROM a worker writes, which slot of the limiter that worker last reached (a thread's own
    /// reading, so other workers' waits do not blur it). Waits take no real time.
    final class SlotClock: @unchecked Sendable {
        private let lock = NSLock()
        private var time = Date(timeIntervalSince1970: 1_700_000_000)
        private var stamps: [Double] = []
        private static let key = "UpstreamLimitsTests.slot"

        func limiter(perMinute: Int) -> RateLimiter {
            RateLimiter(perMinute: perMinute, now: { [self] in
                let now = lock.withLock { time }
                Thread.current.threadDictionary[Self.key] = now
                return now
            }, sleep: { [self] seconds, _ in
                let read = Thread.current.threadDictionary[Self.key] as? Date ?? time
                let slot = read.addingTimeInterval(seconds)
                Thread.current.threadDictionary[Self.key] = slot
                lock.withLock { time = max(time, slot) }
            })
        }

        /// Records the slot of each MAIL FROM (-1 when its thread never took one).
        var observer: ConversationObserver {
            { [self] event in
                guard case .sent(let line) = event, line.hasPrefix("MAIL FROM") else { return }
                let slot = (Thread.current.threadDictionary[Self.key] as? Date)?.timeIntervalSince1970 ?? -1
                lock.withLock { stamps.append(slot) }
            }
        }

        var mailSlots: [Double] { lock.withLock { stamps } }
    }

    @Test("Office365's limits come from the host name (smtp.office365.com, *.outlook.com); other hosts get none; flags override")
    func fromHost() {
        for host in ["smtp.office365.com", "SMTP.Office365.COM", "smtp.office365.com.", "smtp-mail.outlook.com",
                     "eur01.mail.protection.outlook.com"] {
            #expect(UpstreamLimits.forHost(host) == UpstreamLimits(connections: 3, messagesPerMinute: 30), "\(host)")
        }
        for host in ["127.0.0.1", "outlook.com.evil.test", "notoutlook.com", "smtp.gmail.com", "office365.com"] {
            #expect(UpstreamLimits.forHost(host) == nil, "\(host)")
        }
        var office = SMTPSettings(host: "smtp.office365.com", port: 587, security: .starttls)
        office.applyUpstreamLimits()
        #expect(office.connections == 3 && office.messagesPerMinute == 30)
        var local = SMTPSettings(host: "mail.example.com", port: 25)
        local.applyUpstreamLimits()
        #expect(local.connections == 1 && local.messagesPerMinute == nil)
        let profile = SMTPSettings.office365(username: "u", secret: .password(SecretText("p")))
        #expect(profile.connections == 3 && profile.messagesPerMinute == 30)
    }

    @Test("a burst of 40 relayed messages to one upstream with Office365's limits: each MAIL has its own slot, never 31 in a minute, never more than 3 connections at the upstream")
    func burst() throws {
        let relay = try RelayProcess()  // the wallet with the upstream credential `up` and a queue
        let peer = try LocalPeer.aiosmtpd(mode: "starttls", maildir: relay.queue.directory + "/upstream")
        defer { peer.stop() }
        let store = QueueStore(database: try SQLiteQueueDatabase(path: relay.queue.path))
        for n in 0..<40 {
            try store.enqueue(RawMessage(sender: "alice@example.com", recipients: ["bob@example.com"],
                                         content: Array("Subject: burst-\(n)\r\n\r\nbody \(n)\r\n".utf8), patternID: "up"))
        }
        var settings = SMTPSettings(host: "127.0.0.1", port: peer.port, security: .starttls,
                                    caFile: TestEnvironment.cert("ca.pem"), walletPath: relay.wallet, username: "alice",
                                    secret: .walletAlias("up"), heloName: "relay.test", timeout: 20)
        settings.connections = UpstreamLimits.office365.connections
        settings.messagesPerMinute = UpstreamLimits.office365.messagesPerMinute
        let clock = SlotClock()
        settings.observer = clock.observer
        let path = relay.queue.path
        let sender = try QueueSender(store: { () throws(QueueError) in QueueStore(database: try SQLiteQueueDatabase(path: path)) },
                                     settings: settings, options: SenderOptions(batchSize: 5, once: true))
        sender.limiter = clock.limiter(perMinute: UpstreamLimits.office365.messagesPerMinute)
        let report = try sender.run()
        #expect(report.sent == 40 && report.failed == 0, "\(report)")
        #expect(peer.messages().count == 40)
        let slots = clock.mailSlots.sorted()
        #expect(slots.count == 40 && !slots.contains(-1) && Set(slots).count == 40, "every MAIL its own slot: \(slots)")
        // 31 messages in a row span at least a minute: never more than 30 in any minute.
        for index in 30..<slots.count {
            #expect(slots[index] - slots[index - 30] >= 60 - 1e-6, "messages \(index - 30)...\(index) within \(slots[index] - slots[index - 30]) s")
        }
        let connections = peer.connections
        #expect(connections.peak >= 1 && connections.peak <= 3, "at most 3 at once: \(connections)")
    }

    @Test("relayed requests go only through their upstream credential's sender: not with a password, not with another alias")
    func relayedOnlyThroughUpstream() throws {
        let relay = try RelayProcess()
        try RelayProcess.wallet(["credential", "add", "other", "-w", relay.wallet, "--auto-login", "--username", "alice",
                                 "--secret-env", "SECRET"], secret: "wonderland")
        let peer = try LocalPeer.aiosmtpd(mode: "starttls", maildir: relay.queue.directory + "/upstream")
        defer { peer.stop() }
        let store = QueueStore(database: try SQLiteQueueDatabase(path: relay.queue.path))
        let relayed = try store.enqueue(RawMessage(sender: "alice@example.com", recipients: ["bob@example.com"],
                                                   content: Array("Subject: relayed\r\n\r\nvia up\r\n".utf8), patternID: "up"))
        let text = try relay.queue.enqueue("not relayed")
        let passwordFile = relay.queue.directory + "/password"
        try Data("wonderland\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let common = ["send", "--once", "--smtp", "127.0.0.1:\(peer.port)", "--security", "starttls",
                      "--ca-file", TestEnvironment.cert("ca.pem"), "--helo", "relay.test"]
        // A password: the text request goes, the relayed one stays.
        let byPassword = try relay.queue.run(common + ["--user", "alice", "--password-file", passwordFile])
        #expect(byPassword.status == 0 && byPassword.stdout.contains("sent 1,"), "\(byPassword.output)")
        #expect(try store.details(relayed).status == .unsent)
        #expect(try store.details(text).status == .sent)
        // Another credential, even with --pattern up: still not sent.
        let byOther = try relay.queue.run(common + ["--wallet", relay.wallet, "--credential-alias", "other", "--pattern", "up"])
        #expect(byOther.status == 0 && byOther.stdout.contains("sent 0,"), "\(byOther.output)")
        #expect(try store.details(relayed).status == .unsent)
        // Its own upstream credential: sent, once.
        let byUpstream = try relay.queue.run(common + ["--wallet", relay.wallet, "--credential-alias", "up"])
        #expect(byUpstream.status == 0 && byUpstream.stdout.contains("sent 1,"), "\(byUpstream.output)")
        #expect(try store.details(relayed).status == .sent)
        let subjects = peer.messages().map { message in
            String(decoding: message.content, as: UTF8.self).split(separator: "\r\n").first { $0.hasPrefix("Subject: ") } ?? ""
        }
        #expect(subjects == ["Subject: not relayed", "Subject: relayed"], "\(subjects)")
    }
}

/// The relay's senders, one per upstream credential, each with its own limits (real time).
@Suite("Relay: limits per upstream credential", .serialized)
struct RelayUpstreamLimitsTests {
    @Test("two upstream credentials at 120 a minute each: each stream spaced 0.5 s apart, both at once (not one shared limit); at most 3 connections each")
    func perCredential() throws {
        let relay = try RelayProcess()
        try RelayProcess.wallet(["credential", "add", "up2", "-w", relay.wallet, "--auto-login", "--username", "alice",
                                 "--secret-env", "SECRET"], secret: "wonderland")
        try RelayProcess.wallet(["credential", "add", "carol@example.com", "-w", relay.wallet, "--auto-login", "--kind", "relay-user",
                                 "--upstream", "up2", "--secret-env", "SECRET"], secret: "relay-pw-carol")
        let peer = try LocalPeer.aiosmtpd(mode: "starttls", maildir: relay.queue.directory + "/upstream")
        defer { peer.stop() }
        // First accept only, so that the senders meet a burst already queued.
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback", "--auth-failure-delay", "0"])
        let perStream = 8
        for (user, password) in [("alice@example.com", RelayProcess.alicePassword), ("carol@example.com", "relay-pw-carol")] {
            for n in 0..<perStream {
                let file = relay.queue.directory + "/m.eml"
                try Data("Subject: \(user)-\(n)\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: file))
                let reply = try relay.client("submit", ["--user", user, "--password", password, "--from", user,
                                                        "--to", "bob@example.com", "--file", file])
                #expect(reply["code"] as? Int == 250, "\(reply)")
            }
        }
        relay.stop()
        try relay.start(["--allow-cleartext-auth-on-loopback", "--smtp", "127.0.0.1:\(peer.port)", "--security", "starttls",
                         "--ca-file", TestEnvironment.cert("ca.pem"), "--credential-alias", "up", "--helo", "relay.test",
                         "--idle-poll-seconds", "0.1", "--rate", "120", "--connections", "3", "--batch", "2"])
        defer { relay.stop() }
        #expect(eventually(timeout: 60) { peer.messages().count == 2 * perStream }, "\(peer.messages().count) arrived")
        var times: [String: [Double]] = [:]
        for message in peer.messages() {
            let subject = String(decoding: message.content, as: UTF8.self).split(separator: "\r\n").first { $0.hasPrefix("Subject: ") } ?? ""
            let stream = subject.contains("carol@") ? "up2" : "up"
            times[stream, default: []].append(message.envelope["received_at"] as? Double ?? 0)
        }
        var spans: [String: Double] = [:]
        for (stream, arrivals) in times {
            let sorted = arrivals.sorted()
            #expect(sorted.count == perStream, "\(stream): \(sorted.count)")
            spans[stream] = (sorted.last ?? 0) - (sorted.first ?? 0)
            // 8 messages at 120 a minute: the last starts 3.5 s after the first.
            #expect((spans[stream] ?? 0) >= Double(perStream - 1) * 0.5 - 0.5, "\(stream) went faster than its rate: \(sorted)")
        }
        let all = times.values.flatMap { $0 }.sorted()
        let total = (all.last ?? 0) - (all.first ?? 0)
        // One limit shared by both would need 7.5 s for the 16.
        #expect(total < Double(2 * perStream - 1) * 0.5 - 0.5, "both streams took \(total) s (spans \(spans)): one limit for both?")
        #expect(peer.connections.peak <= 6, "\(peer.connections)")
        print("relay limits per credential: spans \(spans), all \(total) s, peak connections \(peer.connections.peak)")
    }
}
