import Foundation
import Testing

/// DurableClients is relay_client.py `durable` in the background: clients that submit one
/// message after another to a relay (reconnecting whenever it goes away), each message a JSON
/// line in `output` as soon as its 250 (or the drop) came, so a test can follow their progress.
final class DurableClients {
    let child: Child
    let output: String
    private let stopFile: String

    /// Starts `threads` clients as alice, each pausing `pause` seconds between messages; they
    /// stop after `seconds` or at `finish()`, whichever comes first.
    init(_ relay: RelayProcess, threads: Int, seconds: Double, pause: Double = 0) throws {
        output = relay.queue.directory + "/clients.jsonl"
        stopFile = relay.queue.directory + "/clients.stop"
        try? FileManager.default.removeItem(atPath: stopFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestEnvironment.root.appendingPathComponent("Tests/MailQueueTests/relay_client.py").path,
                             "durable", String(relay.port), "--user", "alice@example.com", "--password", RelayProcess.alicePassword,
                             "--threads", String(threads), "--seconds", String(seconds), "--pause", String(pause),
                             "--stop-file", stopFile]
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        child = try Child(process)
    }

    /// The messages so far, in the order their replies came: `marker` (the Subject), `acked`
    /// (whether the 250 was seen) and `id` (the request id it named).
    func messages() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            // A line being written is not whole yet: it counts once it is.
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["marker"] != nil else { return nil }
            return object
        }
    }

    /// How many 250s the clients have seen so far.
    func acknowledged() -> Int { messages().filter { $0["acked"] as? Bool == true }.count }

    /// Waits up to `timeout` seconds until the clients have seen `count` more 250s than now.
    /// - Returns: false when they did not (or exited first).
    func awaitAcknowledgements(_ count: Int, timeout: Double = 60) -> Bool {
        let target = acknowledged() + count
        return eventually(timeout: timeout) { acknowledged() >= target || !child.isRunning } && acknowledged() >= target
    }

    /// Asks the clients to finish (each ends the message it is on) and waits for them.
    /// - Returns: their exit status.
    func finish(timeout: Double = 60) throws -> Int32 {
        _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
        return try child.wait(timeout: timeout)
    }
}

extension RelayProcess {
    /// Kills the relay with SIGKILL up to `times` times while `clients` submit and starts it
    /// again with `arguments` each time. Each kill comes after the clients saw a random 5 to 15
    /// more 250s (a random point in their stream of submissions, and proof that the relay
    /// started before took mail); after the last restart, 5 more 250s are awaited too.
    /// - Returns: how many kills there were (fewer than `times` when the clients stopped
    ///   getting 250s within `patience` seconds).
    func killRepeatedly(times: Int, while clients: DurableClients, restartingWith arguments: [String], patience: Double = 60) throws -> Int {
        var kills = 0
        while kills < times, clients.awaitAcknowledgements(Int.random(in: 5...15), timeout: patience) {
            stop(SIGKILL)
            kills += 1
            try start(arguments)
        }
        #expect(clients.awaitAcknowledgements(5, timeout: patience), "no 250 after the last restart: \(log.suffix(2000))")
        return kills
    }

    /// Each stored request's statuses by marker (its Subject): a marker stored twice has two.
    func storedStatuses() throws -> [String: [String]] {
        let rows = try runProcess("sqlite3", ["-separator", "|", queue.path, "SELECT subject, status FROM mail_request"])
        #expect(rows.status == 0, "\(rows.output)")
        var stored: [String: [String]] = [:]
        for line in rows.stdout.split(separator: "\n") {
            let fields = line.split(separator: "|").map(String.init)
            if fields.count == 2 { stored[fields[0], default: []].append(fields[1]) }
        }
        return stored
    }
}

extension LocalPeer {
    /// How often each durable client's marker (a Subject `durable-…`) arrived at this peer.
    func arrivedMarkers() -> [String: Int] {
        var arrived: [String: Int] = [:]
        for message in messages() {
            let text = String(decoding: message.content, as: UTF8.self)
            if let subject = text.split(separator: "\r\n").first(where: { $0.hasPrefix("Subject: durable-") }) {
                arrived[String(subject.dropFirst("Subject: ".count)), default: 0] += 1
            }
        }
        return arrived
    }
}
