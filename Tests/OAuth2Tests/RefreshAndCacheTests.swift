import Foundation
import OAuth2
import Testing
import TrustStore

/// Refresh-token rotation written back to the wallet, and the token cache's expiry rule.
@Suite(.serialized) struct RefreshAndCacheTests {
    @Test func rotatedRefreshTokensAreStoredAndUsed() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let path = try makeWallet(password: "pw", credentials: [
            .init(alias: "me", username: "me@contoso.com", kind: .refreshToken, secret: "rt-initial", tenant: "contoso.onmicrosoft.com",
                  clientID: "device-app-pending", authority: server.authority),
        ])
        let provider = try WalletTokens.provider(alias: "me", walletPath: path, walletPassword: "pw", settings: .init(http: TokenServer.http))
        let first = try provider.accessToken()
        #expect(first.value == "at-1")
        #expect(try Wallet.open(path, password: "pw").credential("me").secret.revealed == "rt-1")
        // The server accepts only the latest refresh token: a second refresh works only if the rotated one is used.
        let second = try provider.accessToken(forceRefresh: true)
        #expect(second.value == "at-2")
        #expect(try Wallet.open(path, password: "pw").credential("me").secret.revealed == "rt-2")
        let forms = try server.requests().map(\.form)
        #expect(forms.map { $0["refresh_token"] } == ["rt-initial", "rt-1"])
        #expect(forms.allSatisfy { $0["grant_type"] == "refresh_token" && $0["scope"] == IdentityPlatform.delegatedScope })
        // A provider made from the wallet now starts from the stored token too.
        let again = try WalletTokens.provider(alias: "me", walletPath: path, walletPassword: "pw", settings: .init(http: TokenServer.http))
        #expect(try again.accessToken().value == "at-3")
        // The old token is refused, with the action to take.
        let error = try #require(throws: OAuth2Error.self) {
            try server.platform().refresh(clientID: "device-app-pending", refreshToken: "rt-initial")
        }
        #expect(error.kind == .invalidGrant)
        #expect(error.aadsts == 70008)
        #expect(error.description.contains("Sign in again"))
        #expect(!error.description.contains("rt-initial"))
    }

    @Test func tokensAreCachedUntilShortlyBeforeExpiry() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let clock = TestClock()
        let source = ClientCredentialsSource(platform: server.platform(clock: clock.clock), clientID: "app-id", proof: .secret("right-secret"))
        let provider = TokenProvider(source: source, clock: clock.clock)
        #expect(try provider.accessToken().value == "at-1")
        clock.advance(3599 - 300 - 1)
        #expect(try provider.accessToken().value == "at-1")
        #expect(provider.fetchCount == 1)
        clock.advance(2)
        #expect(try provider.accessToken().value == "at-2")
        #expect(provider.fetchCount == 2)
        #expect(try provider.accessToken(forceRefresh: true).value == "at-3")
        #expect(try server.requests().count == 3)
    }

    @Test func aPasswordCredentialHasNoTokens() throws {
        let path = try makeWallet(password: "", credentials: [.init(alias: "p", username: "u", kind: .password, secret: "hunter22")])
        let error = try #require(throws: OAuth2Error.self) { try WalletTokens.provider(alias: "p", walletPath: path, walletPassword: "") }
        #expect(error.kind == .configuration)
        #expect(!error.description.contains("hunter22"))
        let missing = try #require(throws: OAuth2Error.self) { try WalletTokens.provider(alias: "nope", walletPath: path, walletPassword: "") }
        #expect(missing.kind == .wallet)
        #expect(missing.description.contains("it holds: p"))
    }
}
