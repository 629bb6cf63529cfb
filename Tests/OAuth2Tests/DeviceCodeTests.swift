import Foundation
import OAuth2
import Testing
import TrustStore

/// The device code flow: the prompt, the polling interval the server gives (and slows down),
/// expiry, and the refresh token kept in the wallet. The clock records waits instead of sleeping.
@Suite(.serialized) struct DeviceCodeTests {
    @Test func pendingThenSuccessPollsAtTheServersInterval() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let clock = TestClock()
        var prompts: [DeviceCodePrompt] = []
        let token = try server.platform(clock: clock.clock).deviceCodeSignIn(clientID: "device-app-pending") { prompts.append($0) }
        #expect(prompts.count == 1)
        #expect(prompts.first?.userCode == "ABCD-EFGH")
        #expect(prompts.first?.verificationURI == "https://microsoft.com/devicelogin")
        #expect(clock.waits == [5, 5, 5])
        #expect(token.value.hasPrefix("at-"))
        #expect(token.refreshToken?.hasPrefix("rt-") == true)
        let requests = try server.requests()
        #expect(requests.first?.path == "/contoso.onmicrosoft.com/oauth2/v2.0/devicecode")
        #expect(requests.first?.form == ["client_id": "device-app-pending", "scope": "https://outlook.office.com/SMTP.Send offline_access"])
        #expect(requests.dropFirst().allSatisfy {
            $0.form == ["client_id": "device-app-pending", "device_code": "dc-pending", "grant_type": "urn:ietf:params:oauth:grant-type:device_code"]
        })
        #expect(requests.count == 4)
    }

    @Test func slowDownAddsFiveSeconds() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let clock = TestClock()
        _ = try server.platform(clock: clock.clock).deviceCodeSignIn(clientID: "device-app-slow") { _ in }
        #expect(clock.waits == [5, 10, 10])
    }

    @Test func expiredTokenStopsWithAClearError() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let clock = TestClock()
        let error = try #require(throws: OAuth2Error.self) {
            try server.platform(clock: clock.clock).deviceCodeSignIn(clientID: "device-app-expired") { _ in }
        }
        #expect(error.kind == .expiredToken)
        #expect(error.description.contains("expired before anyone signed in"))
        #expect(clock.waits == [5, 5])
    }

    @Test func theCodesLifetimeBoundsThePolling() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let clock = TestClock()
        // The server's code lives 60 s; a clock that jumps past that stops polling without a request.
        let error = try #require(throws: OAuth2Error.self) {
            try server.platform(clock: clock.clock).deviceCodeSignIn(clientID: "device-app-pending") { _ in clock.advance(58) }
        }
        #expect(error.kind == .expiredToken)
        #expect(clock.waits.isEmpty)
    }

    @Test func signInKeepsTheRefreshTokenInTheWallet() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let path = try makeWallet(password: "pw", credentials: [])
        let clock = TestClock()
        let stored = try WalletTokens.signIn(
            alias: "me", username: "me@contoso.com", tenant: "contoso.onmicrosoft.com", clientID: "device-app-pending",
            authority: server.authority, walletPath: path, walletPassword: "pw", settings: .init(http: TokenServer.http, clock: clock.clock)
        ) { _ in }
        let credential = try Wallet.open(path, password: "pw").credential("me")
        #expect(credential.kind == .refreshToken)
        #expect(credential.secret.revealed.hasPrefix("rt-"))
        #expect(credential == stored)
        #expect(!stored.description.contains(credential.secret.revealed))
    }
}
