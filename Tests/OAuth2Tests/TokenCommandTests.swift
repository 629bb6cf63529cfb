import Foundation
import OAuth2
import Testing
import TrustStore

/// token_command: the token comes from the command's standard output; nothing secret is on
/// any command line while it runs; failures are explained without what the command printed.
@Suite struct TokenCommandTests {
    @Test func theTokenComesFromStdoutAndNoSecretIsInThePsOutput() throws {
        let directory = try temporaryDirectory()
        let psFile = directory + "/ps.txt"
        let walletPassword = "wallet-pw-8c1f"
        // The token reaches the command from a file (as from a vault), never from its command line.
        let tokenFile = directory + "/token"
        try "tok-from-command-77\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let command = "ps -eo args > '\(psFile)'; cat '\(tokenFile)'"
        let path = try makeWallet(password: walletPassword, credentials: [
            .init(alias: "cmd", username: "me@contoso.com", kind: .tokenCommand, secret: "", tokenCommand: command),
            .init(alias: "other", username: "u", kind: .clientSecret, secret: "client-secret-9d2e", tenant: "t", clientID: "c"),
        ])
        let provider = try WalletTokens.provider(alias: "cmd", walletPath: path, walletPassword: walletPassword)
        let token = try provider.accessToken()
        #expect(token.value == "tok-from-command-77")
        let ps = try String(contentsOfFile: psFile, encoding: .utf8)
        // ps ran while the command (and this test process) were alive: it lists the command itself.
        #expect(ps.contains("ps -eo args"))
        for secret in [walletPassword, "client-secret-9d2e", "tok-from-command-77"] { #expect(!ps.contains(secret)) }
        #expect(!token.description.contains("tok-from-command-77"))
    }

    @Test func theUserNameIsPassedInTheEnvironment() throws {
        let source = TokenCommandSource(command: "printf '%s' \"tok-$SMTP_OAUTH_USERNAME\"", environment: ["SMTP_OAUTH_USERNAME": "me"])
        #expect(try source.fetch().value == "tok-me")
    }

    @Test("the command gets only standard input, output and error, with 2,000 inheritable descriptors open here")
    func onlyTheStandardDescriptors() throws {
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        for _ in 0..<1_000 {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { break }
            held += ends
        }
        // 0, 1, 2 and the directory ls reads: the "token" the command prints.
        #expect(try TokenCommandSource(command: "ls /proc/self/fd | wc -l | tr -d ' '").fetch().value == "4")
    }

    @Test func jsonOutputGivesTheExpiry() throws {
        let clock = TestClock()
        let source = TokenCommandSource(command: #"echo '{"accessToken": "tok-json", "expires_in": 1200}'"#, clock: clock.clock)
        let token = try source.fetch()
        #expect(token.value == "tok-json")
        #expect(token.expiresAt == clock.now + 1200)
    }

    @Test func aFailingCommandIsExplainedWithoutItsOutput() throws {
        let source = TokenCommandSource(command: "echo leaked-token-5521; echo 'login failed near leaked-token-5521' >&2; exit 3")
        let error = try #require(throws: OAuth2Error.self) { try source.fetch() }
        #expect(error.kind == .tokenCommand)
        #expect(error.description.contains("status 3"))
        #expect(error.description.contains("login failed"))
        #expect(!error.description.contains("leaked-token-5521"))
        let empty = try #require(throws: OAuth2Error.self) { try TokenCommandSource(command: "true").fetch() }
        #expect(empty.description.contains("printed no token"))
    }

    @Test func aHangingCommandIsStoppedAtItsTimeout() throws {
        let source = TokenCommandSource(command: "exec sleep 30", timeout: 0.5)
        let error = try #require(throws: OAuth2Error.self) { try source.fetch() }
        #expect(error.description.contains("did not finish within"))
        #expect(error.isTransient)
    }
}
