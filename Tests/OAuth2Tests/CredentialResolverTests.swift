import Foundation
import OAuth2
import SMTPConversation
import Testing
import TrustStore

/// The one credential resolver's rules (used by the REPL's `auth credential=` and the queue's
/// `--credential-alias`): an explicit user name wins, the credential's own is used otherwise,
/// and neither is a configuration error.
@Suite("Credential resolver")
struct CredentialResolverTests {
    static func wallet() throws -> String {
        try makeWallet(password: "pw", credentials: [
            .init(alias: "owned", username: "alice@example.com", kind: .password, secret: "pw-owned-1"),
            .init(alias: "bare", username: "", kind: .password, secret: "pw-bare-2"),
            .init(alias: "cmd", username: "", kind: .tokenCommand, secret: "", tokenCommand: "echo t"),
        ])
    }

    @Test("an explicit user name wins over the credential's own")
    func explicitWins() throws {
        let resolved = try CredentialResolver.resolve(alias: "owned", username: "bob@example.com", walletPath: try Self.wallet(),
                                                      walletPassword: "pw")
        #expect(resolved.username == "bob@example.com")
        #expect(resolved.passwordCredentials?.username == "bob@example.com")
    }

    @Test("the credential's own user name when none is given (nil or empty)", arguments: [nil, ""] as [String?])
    func credentialsOwn(given: String?) throws {
        let resolved = try CredentialResolver.resolve(alias: "owned", username: given, walletPath: try Self.wallet(), walletPassword: "pw")
        #expect(resolved.username == "alice@example.com")
        #expect(resolved.passwordCredentials?.username == "alice@example.com")
    }

    @Test("neither is a configuration error, for a password and for an OAuth2 credential", arguments: ["bare", "cmd"])
    func neither(alias: String) throws {
        let path = try Self.wallet()
        let error = try #require(throws: OAuth2Error.self) {
            try CredentialResolver.resolve(alias: alias, username: nil, walletPath: path, walletPassword: "pw")
        }
        #expect(error.kind == .configuration)
        #expect(error.message == "credential \(alias) has no user name, and none was given")
        // Given one, the same credential resolves; an OAuth2 one has no password credentials.
        let resolved = try CredentialResolver.resolve(alias: alias, username: "carol@example.com", walletPath: path, walletPassword: "pw")
        #expect(resolved.username == "carol@example.com")
        #expect((resolved.passwordCredentials == nil) == (alias == "cmd"))
    }
}
