import Foundation
import Testing

@testable import TrustStore

/// `smtp-wallet --help` says "2 a usage error": a command line that cannot work exits 2 (as
/// smtp-repl and mail-queue do, not ArgumentParser's 64) with the reason and the usage, before
/// any prompt and before the wallet is touched.
@Suite("smtp-wallet usage errors")
struct WalletUsageTests {
    @Test("credential add without what its kind needs, or with a bad alias: exit 2 naming the option", arguments: [
        (["bad", "--kind", "client-secret"], "--kind client-secret needs --tenant and --client-id"),
        (["bad", "--kind", "client-secret", "--tenant", "contoso.onmicrosoft.com"], "--kind client-secret needs --client-id"),
        (["bad", "--kind", "refresh-token", "--client-id", "1111"], "--kind refresh-token needs --tenant"),
        (["bad", "--kind", "client-certificate", "--tenant", "", "--client-id", "1111"], "--kind client-certificate needs --tenant"),
        (["a b", "--kind", "password"], "the alias 'a b' must be letters, digits"),
    ])
    func credentialAdd(_ arguments: [String], _ reason: String) throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        #expect(try wallet(["create", "-w", temp.file("w"), "--auto-login"]).status == 0)
        let result = try wallet(["credential", "add"] + arguments + ["-w", temp.file("w"), "--auto-login", "--secret-env", "SECRET"],
                                environment: ["SECRET": "s3cr3t"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains(reason), "\(result.output)")
        #expect(result.stderr.contains("Usage: smtp-wallet credential add"), "\(result.output)")
        #expect(try Wallet.open(temp.file("w")).credentials.isEmpty)
    }

    @Test("an error naming a path prints its control characters escaped (TerminalText)")
    func escapedError() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let result = try wallet(["display", "-w", temp.file("no\u{1B}]0;pwned\u{07}wallet\u{202E}"), "--auto-login"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("no\\x1B]0;pwned\\x07wallet\\u{202E}"), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" })
    }

    @Test("a usage error repeating what was typed prints its control characters escaped, still exit 2")
    func escapedUsageError() throws {
        let result = try wallet(["display", "-w", "/nonexistent", "--bogus\u{1B}[2J"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("--bogus\\x1B[2J") && result.stderr.contains("Usage: smtp-wallet display"), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains("\u{1B}"))
    }

    @Test("the help promises 2 for usage errors as for the rest, never 64")
    func help() throws {
        let result = try wallet(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("2 a usage error, or the wallet, a file") && !result.stdout.contains("64"), "\(result.stdout)")
    }

    @Test("a usage error of each kind exits 2: an unknown subcommand, a missing argument, an unknown option", arguments: [
        ["bogus"], ["add", "-w", "/nonexistent"], ["check", "--days", "soon", "-w", "/nonexistent"],
    ])
    func usageExit(_ arguments: [String]) throws {
        let result = try wallet(arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("Usage: smtp-wallet") || result.stderr.contains("Error:"), "\(result.output)")
    }
}
