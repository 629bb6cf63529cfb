import Foundation
import MailQueue
import Testing

/// `--trusted-client CIDR=USER`: devices that cannot AUTH (printers; smtp-source in
/// scripts/bench-relay) send from a trusted network as a relay user, with that user's rules.
@Suite("Relay trusted clients", .serialized)
struct RelayTrustedClientTests {
    func code(_ object: Any?) -> Int { (object as? [String: Any])?["code"] as? Int ?? 0 }

    @Test("a trusted address submits without AUTH as its user; another address still gets 530; the user's sender rules apply")
    func trustedNetwork() throws {
        let relay = try RelayProcess()
        // 127.0.0.2 is trusted (as the printer: anyone @example.com); the tests' own 127.0.0.1 is not.
        try relay.start(["--no-send", "--allow-cleartext-auth-on-loopback", "--trusted-client", "127.0.0.2/32=printer"])
        defer { relay.stop() }
        let trusted = try relay.client("trusted", ["--source", "127.0.0.2", "--from", "scanner@example.com", "--to", "bob@example.com"])
        #expect(code(trusted["mail"]) == 250, "\(trusted)")
        #expect(code(trusted["data"]) == 250, "\(trusted)")
        let other = try relay.client("trusted", ["--source", "127.0.0.1", "--from", "scanner@example.com", "--to", "bob@example.com"])
        #expect(code(other["mail"]) == 530, "\(other)")
        let foreign = try relay.client("trusted", ["--source", "127.0.0.2", "--from", "scanner@fabrikam.com", "--to", "bob@example.com"])
        #expect(code(foreign["mail"]) == 550, "the printer may not use another domain: \(foreign)")
        #expect(try relay.stored() == 1)
        // Stored as the printer's: its upstream, and a Received: field without the A of AUTH.
        let id = String(((trusted["data"] as? [String: Any])?["text"] as? String ?? "").split(separator: " ").last ?? "")
        let shown = try relay.queue.run(["show", id])
        #expect(shown.stdout.contains("pattern:     up") && shown.stdout.contains("with ESMTP id"), "\(shown.output)")
        #expect(relay.log.contains("trusted-as=printer") && relay.log.contains("user=printer"), "\(relay.log)")
    }

    @Test("--trusted-client must name a relay user and a network: exit 2 with the reason")
    func badValues() throws {
        let relay = try RelayProcess()
        for (value, message) in [("127.0.0.0/8=nobody", "nobody is not a relay user in the wallet"),
                                 ("127.0.0.0/33=printer", "the prefix length must be from 0 to 32"),
                                 ("printer.example.com=printer", "is not an IPv4 or IPv6 address"),
                                 ("127.0.0.1", "give CIDR=USER")] {
            let result = try runProcess(TestEnvironment.binary, ["relay", "--database", relay.queue.database, "--wallet", relay.wallet,
                                                                 "--listen", "127.0.0.1:0", "--no-send", "--allow-cleartext-auth-on-loopback",
                                                                 "--trusted-client", value])
            #expect(result.status == 2 && result.stderr.contains("--trusted-client \(value): ") && result.stderr.contains(message),
                    "\(value): \(result.output)")
        }
    }
}
