import Foundation
import MailQueue
import Testing

/// CRAM-MD5 on the relay: offered only when every relay user keeps a CRAM-MD5 context
/// (`--cram-md5`), then used by the clients that prefer it: smtplib's `login()` and UTL_SMTP's
/// `ALL_SCHEMES` through the PL/SQL runner.
@Suite("Relay CRAM-MD5", .serialized)
struct RelayCramMD5Tests {
    static let tls = ["--tls-cert", TestEnvironment.cert("server.pem"), "--tls-key", TestEnvironment.cert("server.key")]
    static let ca = TestEnvironment.cert("ca.pem")

    /// Re-adds the two relay users of `RelayProcess`, with `--cram-md5` for those in `cram`.
    func users(_ relay: RelayProcess, cram: Set<String>) throws {
        for (alias, password, extra) in [("alice@example.com", RelayProcess.alicePassword, [String]()),
                                         ("printer", RelayProcess.printerPassword, ["--allow-from", "@example.com"])] {
            try RelayProcess.wallet(["credential", "add", alias, "-w", relay.wallet, "--auto-login", "--kind", "relay-user",
                                     "--upstream", "up", "--secret-env", "SECRET"] + extra + (cram.contains(alias) ? ["--cram-md5"] : []),
                                    secret: password)
        }
    }

    /// The session transcripts the relay wrote to `directory`, joined.
    func transcripts(_ directory: String) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
    }

    @Test("every user with --cram-md5: offered; smtplib login() uses it and submits; a wrong password fails; the transcript has no secret")
    func smtplib() throws {
        let relay = try RelayProcess()
        try users(relay, cram: ["alice@example.com", "printer"])
        let records = relay.queue.directory + "/records"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        try relay.start(Self.tls + ["--no-send", "--auth-failure-delay", "0", "--record-dir", records])
        defer { relay.stop() }
        let file = relay.queue.directory + "/m.eml"
        try Data("Subject: cram\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: file))
        let sent = try relay.client("login", ["--user", "alice@example.com", "--password", RelayProcess.alicePassword, "--starttls", Self.ca,
                                              "--from", "alice@example.com", "--to", "bob@example.com", "--file", file])
        #expect((sent["offered"] as? String ?? "").split(separator: " ").contains("CRAM-MD5"), "\(sent)")
        #expect((sent["login"] as? [String: Any])?["code"] as? Int == 235, "\(sent)")
        #expect(sent["code"] as? Int == 250, "\(sent)")
        #expect(try relay.stored() == 1)
        relay.stop()  // the session's transcript is complete once the relay has stopped
        let text = transcripts(records)
        #expect(text.contains("> AUTH CRAM-MD5") && !text.contains("> AUTH PLAIN") && !text.contains("> AUTH LOGIN"),
                "login() chose CRAM-MD5: \(text)")
        #expect(text.contains("235 2.7.0"), "\(text)")
        #expect(!text.contains(RelayProcess.alicePassword) && !relay.log.contains(RelayProcess.alicePassword))
        // A wrong password: CRAM-MD5 refused (smtplib then tries the others, refused too).
        try relay.start(Self.tls + ["--no-send", "--auth-failure-delay", "0", "--record-dir", records])
        let wrong = try relay.client("login", ["--user", "printer", "--password", "not-the-password", "--starttls", Self.ca])
        #expect((wrong["login"] as? [String: Any])?["code"] as? Int == 535, "\(wrong)")
        relay.stop()
        let after = transcripts(records)
        #expect(after.components(separatedBy: "> AUTH CRAM-MD5").count == 3 && after.contains("535 5.7.8"), "\(after)")
        #expect(try relay.stored() == 1)
    }

    @Test("UTL_SMTP.auth with ALL_SCHEMES through the PL/SQL runner picks CRAM-MD5 and the message is queued")
    func plsql() throws {
        let relay = try RelayProcess()
        try users(relay, cram: ["alice@example.com", "printer"])
        let records = relay.queue.directory + "/records"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        try relay.start(Self.tls + ["--no-send", "--record-dir", records])
        defer { relay.stop() }
        let walletDirectory = relay.queue.directory + "/plsql-wallet"
        try RelayProcess.wallet(["create", "-w", "file:" + walletDirectory, "--password-env", "SECRET"], secret: "plsql-wallet-pw")
        try RelayProcess.wallet(["add", "-w", "file:" + walletDirectory, "--password-env", "SECRET", Self.ca], secret: "plsql-wallet-pw")
        let program = relay.queue.directory + "/cram.sql"
        try """
            DECLARE
              c UTL_SMTP.connection;
            BEGIN
              c := UTL_SMTP.open_connection(host => 'localhost', port => &PORT, tx_timeout => 10,
                     wallet_path => 'file:\(walletDirectory)', wallet_password => '&WALLET_PASSWORD');
              UTL_SMTP.ehlo(c, 'db.example.com');
              UTL_SMTP.starttls(c);
              UTL_SMTP.ehlo(c, 'db.example.com');
              UTL_SMTP.auth(c, 'alice@example.com', '&RELAY_PASSWORD', UTL_SMTP.all_schemes);
              UTL_SMTP.mail(c, 'alice@example.com');
              UTL_SMTP.rcpt(c, 'bob@example.com');
              UTL_SMTP.data(c, 'Subject: cram from PL/SQL' || UTL_TCP.crlf || UTL_TCP.crlf || 'body');
              UTL_SMTP.quit(c);
            END;
            /
            """.write(toFile: program, atomically: true, encoding: .utf8)
        let repl = TestEnvironment.root.appendingPathComponent(".build/debug/smtp-repl").path
        let ran = try runProcess(repl, ["run", program, "--var", "PORT=\(relay.port)"],
                                 environment: ["WALLET_PASSWORD": "plsql-wallet-pw", "RELAY_PASSWORD": RelayProcess.alicePassword], timeout: 120)
        #expect(ran.status == 0, "\(ran.output)\n\(relay.log)")
        #expect(ran.output.contains("250 2.0.0 queued as ") && !ran.output.contains(RelayProcess.alicePassword), "\(ran.output)")
        #expect(try relay.stored() == 1)
        relay.stop()
        let text = transcripts(records)
        #expect(text.contains("> AUTH CRAM-MD5") && text.contains("235 2.7.0") && !text.contains("> AUTH PLAIN"), "\(text)")
    }

    @Test("one user without --cram-md5: CRAM-MD5 is not offered (so no client picks it and fails), and the log says who lacks it")
    func notOffered() throws {
        let relay = try RelayProcess()
        try users(relay, cram: ["alice@example.com"])
        try relay.start(Self.tls + ["--no-send", "--auth-failure-delay", "0"])
        defer { relay.stop() }
        let file = relay.queue.directory + "/m.eml"
        try Data("Subject: plain\r\n\r\nbody\r\n".utf8).write(to: URL(fileURLWithPath: file))
        let sent = try relay.client("login", ["--user", "printer", "--password", RelayProcess.printerPassword, "--starttls", Self.ca,
                                              "--from", "scanner@example.com", "--to", "bob@example.com", "--file", file])
        #expect((sent["offered"] as? String ?? "").split(separator: " ").sorted() == ["LOGIN", "PLAIN"], "\(sent)")
        #expect(sent["code"] as? Int == 250, "\(sent)")
        #expect(relay.log.contains("CRAM-MD5 not offered: printer kept no CRAM-MD5 context"), "\(relay.log)")
    }
}
