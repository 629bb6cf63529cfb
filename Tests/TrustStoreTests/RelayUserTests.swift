import Foundation
import Testing
import TrustStore

/// Relay users: the password kept only as a salted slow hash, the senders each may use.
@Suite("Relay users in the wallet")
struct RelayUserTests {
    @Test("a PBKDF2-SHA256 hash verifies its password only, with a fresh salt each time")
    func hashing() throws {
        let first = try RelayPassword.hash("correct horse", iterations: 1000)
        let second = try RelayPassword.hash("correct horse", iterations: 1000)
        #expect(first.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(first != second)
        #expect(RelayPassword.verify("correct horse", against: first))
        #expect(!RelayPassword.verify("correct horsE", against: first))
        #expect(!RelayPassword.verify("correct horse", against: "correct horse"))
        #expect(!RelayPassword.isHash("pbkdf2-sha256$99999999999$AAAA$AAAA"))
    }

    @Test("the hash matches Python's hashlib.pbkdf2_hmac for the same salt and count")
    func interoperableHash() throws {
        let stored = try RelayPassword.hash("pässword", iterations: 1234)
        let parts = stored.split(separator: "$")
        let script = """
            import base64, hashlib, sys
            salt = base64.b64decode(sys.argv[1])
            print(base64.b64encode(hashlib.pbkdf2_hmac('sha256', 'pässword'.encode(), salt, 1234)).decode())
            """
        let result = try run("/usr/bin/python3", ["-c", script, String(parts[2])])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(parts[3]))
    }

    @Test("senders: an address, @domain, and by default only the user's own address")
    func senders() throws {
        let hash = try RelayPassword.hash("x", iterations: 1000)
        let own = WalletCredential(alias: "app@contoso.com", username: "", kind: .relayUser, secret: hash)
        #expect(own.allowsSender("app@contoso.com") && own.allowsSender("app@CONTOSO.com"))
        #expect(!own.allowsSender("boss@contoso.com") && !own.allowsSender("App@contoso.com"))
        let domain = WalletCredential(alias: "printer", username: "", kind: .relayUser, secret: hash,
                                      allowFrom: ["@contoso.com", "alerts@fabrikam.com"])
        #expect(domain.allowsSender("anyone@contoso.com") && domain.allowsSender("alerts@fabrikam.com"))
        #expect(!domain.allowsSender("anyone@sub.contoso.com") && !domain.allowsSender("x@fabrikam.com"))
        #expect(!domain.allowsSender("") && !domain.allowsSender("@contoso.com"))
        #expect(throws: WalletError.self) {
            try WalletCredential(alias: "p", username: "", kind: .relayUser, secret: "plain-password").validate()
        }
    }

    @Test("smtp-wallet credential add --kind relay-user stores the hash, never the password; list shows the senders")
    func cli() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        #expect(try wallet(["create", "-w", temp.file("w"), "--auto-login"]).status == 0)
        let environment = ["RELAY_PW": "Sup3r-secret-relay"]
        #expect(try wallet(["credential", "add", "o365", "-w", temp.file("w"), "--auto-login", "--username", "sender@contoso.com",
                            "--secret-env", "RELAY_PW"], environment: environment).status == 0)
        let added = try wallet(["credential", "add", "app@contoso.com", "-w", temp.file("w"), "--auto-login",
                                "--kind", "relay-user", "--allow-from", "@contoso.com|alerts@fabrikam.com",
                                "--upstream", "o365", "--secret-env", "RELAY_PW"], environment: environment)
        #expect(added.status == 0, "\(added.output)")
        #expect(!added.output.contains("Sup3r"))
        let stored = try Wallet.open(temp.file("w")).credential("app@contoso.com")
        #expect(stored.kind == .relayUser && stored.upstream == "o365")
        #expect(stored.allowFrom == ["@contoso.com", "alerts@fabrikam.com"])
        #expect(RelayPassword.verify("Sup3r-secret-relay", against: stored.secret.revealed))
        // What the wallet holds once decrypted is the hash; the password is nowhere in the directory.
        #expect(stored.secret.revealed.hasPrefix("pbkdf2-sha256$210000$") && !stored.secret.revealed.contains("Sup3r"))
        for name in try FileManager.default.contentsOfDirectory(atPath: temp.file("w")) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: temp.file("w") + "/" + name))
            #expect(bytes.range(of: Data("Sup3r-secret-relay".utf8)) == nil, "\(name)")
        }
        let listed = try wallet(["credential", "list", "-w", temp.file("w"), "--auto-login"])
        #expect(listed.output.contains("kind=relay-user") && listed.output.contains("allow_from=@contoso.com|alerts@fabrikam.com")
                && listed.output.contains("upstream=o365") && !listed.output.contains("pbkdf2"), "\(listed.output)")
        let bad = try wallet(["credential", "add", "x", "-w", temp.file("w"), "--auto-login", "--kind", "relay-user",
                              "--allow-from", "not an address", "--secret-env", "RELAY_PW"], environment: environment)
        #expect(bad.status != 0 && bad.output.contains("--allow-from 'not an address'"), "\(bad.output)")
        let misplaced = try wallet(["credential", "add", "y", "-w", temp.file("w"), "--auto-login",
                                    "--allow-from", "@contoso.com", "--secret-env", "RELAY_PW"], environment: environment)
        #expect(misplaced.status != 0 && misplaced.output.contains("go with --kind relay-user"))
    }

    @Test("--upstream must name a credential already in the wallet that sends, not a relay user: exit 2, nothing stored")
    func upstreamChecked() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let w = temp.file("w")
        #expect(try wallet(["create", "-w", w, "--auto-login"]).status == 0)
        let environment = ["RELAY_PW": "relay-pw"]
        func add(_ alias: String, upstream: String) throws -> (status: Int32, output: String) {
            let result = try wallet(["credential", "add", alias, "-w", w, "--auto-login", "--kind", "relay-user",
                                     "--upstream", upstream, "--secret-env", "RELAY_PW"], environment: environment)
            return (result.status, result.output)
        }
        let missing = try add("app@contoso.com", upstream: "o356")
        #expect(missing.status == 2 && missing.output.contains("--upstream o356: no credential of that name in the wallet"), "\(missing.output)")
        #expect(try Wallet.open(w).credentials.isEmpty)
        #expect(try wallet(["credential", "add", "o365", "-w", w, "--auto-login", "--username", "sender@contoso.com",
                            "--secret-env", "RELAY_PW"], environment: environment).status == 0)
        let typo = try add("app@contoso.com", upstream: "o356")
        #expect(typo.status == 2 && typo.output.contains("credentials that can send: o365"), "\(typo.output)")
        #expect(try add("app@contoso.com", upstream: "o365").status == 0)
        let chained = try add("printer", upstream: "app@contoso.com")
        #expect(chained.status == 2 && chained.output.contains("--upstream app@contoso.com: that credential is a relay user"), "\(chained.output)")
        let itself = try add("app@contoso.com", upstream: "app@contoso.com")
        #expect(itself.status == 2 && itself.output.contains("cannot send upstream as itself"), "\(itself.output)")
        #expect(try Wallet.open(w).credentials.map(\.alias) == ["app@contoso.com", "o365"])
    }

    @Test("the CRAM-MD5 context is Dovecot's: doveadm pw -s CRAM-MD5 prints the same, for a short and a long (> 64 octets) password")
    func cramContextMatchesDovecot() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/doveadm") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("doveadm (dovecot-core) is not installed") }
            return
        }
        for password in ["test", "pässword with spaces", String(repeating: "long-", count: 20)] {
            let result = try run("/usr/bin/doveadm", ["pw", "-s", "CRAM-MD5", "-p", password])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == RelayCramMD5.context(password), "\(password)")
        }
    }

    @Test("a CRAM-MD5 answer checks against the context as Python's hmac computes it; a wrong password, challenge or garbage does not")
    func cramVerify() throws {
        let context = RelayCramMD5.context("relay-pw")
        let challenge = "<1896.697170952@relay.test>"
        let script = "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.md5).hexdigest())"
        let digest = try run("/usr/bin/python3", ["-c", script, "relay-pw", challenge]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.count == 32)
        #expect(RelayCramMD5.verify(challenge: challenge, digest: digest, against: context))
        #expect(RelayCramMD5.verify(challenge: challenge, digest: digest.uppercased(), against: context))
        #expect(!RelayCramMD5.verify(challenge: challenge + "x", digest: digest, against: context))
        #expect(!RelayCramMD5.verify(challenge: challenge, digest: digest, against: RelayCramMD5.context("relay-pW")))
        #expect(!RelayCramMD5.verify(challenge: challenge, digest: "", against: context))
        #expect(!RelayCramMD5.verify(challenge: challenge, digest: digest, against: "{CRAM-MD5}zz" + String(context.dropFirst(12))))
        #expect(!RelayCramMD5.isContext("{CRAM-MD5}00") && RelayCramMD5.isContext(context))
    }

    @Test("credential add --cram-md5 keeps the context (never the password); list says so; it goes with relay-user only")
    func cramCLI() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let w = temp.file("w")
        #expect(try wallet(["create", "-w", w, "--auto-login"]).status == 0)
        let environment = ["RELAY_PW": "Cram-Relay-Pw-9"]
        let added = try wallet(["credential", "add", "app@contoso.com", "-w", w, "--auto-login", "--kind", "relay-user", "--cram-md5",
                                "--secret-env", "RELAY_PW"], environment: environment)
        #expect(added.status == 0 && added.output.contains("CRAM-MD5 context: <redacted>") && !added.output.contains("{CRAM-MD5}"), "\(added.output)")
        let stored = try Wallet.open(w).credential("app@contoso.com")
        #expect(stored.cramMD5Context?.revealed == RelayCramMD5.context("Cram-Relay-Pw-9"))
        #expect(RelayPassword.verify("Cram-Relay-Pw-9", against: stored.secret.revealed))
        for name in try FileManager.default.contentsOfDirectory(atPath: w) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: w + "/" + name))
            #expect(bytes.range(of: Data("Cram-Relay-Pw-9".utf8)) == nil && bytes.range(of: Data("{CRAM-MD5}".utf8)) == nil, "\(name)")
        }
        let listed = try wallet(["credential", "list", "-w", w, "--auto-login"])
        #expect(listed.output.contains("cram_md5=yes") && !listed.output.contains("{CRAM-MD5}"), "\(listed.output)")
        let plain = try wallet(["credential", "add", "p", "-w", w, "--auto-login", "--cram-md5", "--secret-env", "RELAY_PW"], environment: environment)
        #expect(plain.status != 0 && plain.output.contains("--cram-md5 go with --kind relay-user"), "\(plain.output)")
        #expect(!String(describing: stored).contains("{CRAM-MD5}") && !String(reflecting: stored).contains("{CRAM-MD5}"))
    }
}
