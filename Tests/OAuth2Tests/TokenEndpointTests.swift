import Foundation
import OAuth2
import Testing

/// Client credentials against the local token endpoint over TLS: the request's exact shape,
/// the token, and each AADSTS refusal mapped to an actionable message without the secret.
@Suite(.serialized) struct TokenEndpointTests {
    @Test func clientCredentialsSendsTheRealRequestAndReturnsTheToken() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let clock = TestClock()
        let token = try server.platform(clock: clock.clock).clientCredentials(clientID: "app-id", secret: "right-secret")
        #expect(token.value == "at-1")
        #expect(token.expiresAt == clock.now + 3599)
        #expect(token.refreshToken == nil)
        let request = try #require(try server.requests().last)
        #expect(request.path == "/contoso.onmicrosoft.com/oauth2/v2.0/token")
        #expect(request.contentType == "application/x-www-form-urlencoded")
        #expect(request.form == ["client_id": "app-id", "client_secret": "right-secret", "grant_type": "client_credentials",
                                 "scope": "https://outlook.office365.com/.default"])
    }

    @Test func aSecretWithFormSpecialCharactersArrivesIntact() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let secret = "a+b&c=d%e f~ü"
        #expect(throws: OAuth2Error.self) { try server.platform().clientCredentials(clientID: "app-id", secret: secret) }
        #expect(try server.requests().last?.form["client_secret"] == secret)
    }

    @Test func invalidClientSecretIsExplainedAndNeverShown() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let secret = "wrong-secret-4711"
        let error = try #require(throws: OAuth2Error.self) { try server.platform().clientCredentials(clientID: "app-id", secret: secret) }
        #expect(error.kind == .invalidClient)
        #expect(error.aadsts == 7000215)
        #expect(error.oauthError == "invalid_client")
        #expect(!error.isTransient)
        #expect(error.description.contains("AADSTS7000215 invalid client secret"))
        #expect(error.description.contains("Value (not its Secret ID)"))
        #expect(!error.description.contains(secret))
        #expect(!"\(error)".contains(secret) && !String(reflecting: error).contains(secret))
    }

    @Test(arguments: [
        ("nosuchtenant", "app-id", OAuth2Error.Kind.tenantNotFound, 90002, "tenant not found"),
        ("noconsent", "app-id", .consentRequired, 65001, "consent missing"),
        ("contoso.onmicrosoft.com", "unknown-app", .applicationNotFound, 700016, "no application with this client id"),
    ])
    func aadstsCodesMapToActions(tenant: String, clientID: String, kind: OAuth2Error.Kind, code: Int, phrase: String) throws {
        let server = try TokenServer()
        defer { server.stop() }
        let error = try #require(throws: OAuth2Error.self) {
            try server.platform(tenant).clientCredentials(clientID: clientID, secret: "right-secret")
        }
        #expect(error.kind == kind)
        #expect(error.aadsts == code)
        #expect(error.description.contains("AADSTS\(code) \(phrase)"))
        #expect(!error.description.contains("right-secret"))
        #expect(!error.description.contains("Trace ID"))
    }

    @Test func theEndpointMustBeTrusted() throws {
        let server = try TokenServer()
        defer { server.stop() }
        // The system CAs do not include the test CA: the secret must not be sent.
        let untrusted = IdentityPlatform(tenant: "contoso.onmicrosoft.com", authority: server.authority, http: HTTPSClient(timeout: 10))
        let error = try #require(throws: OAuth2Error.self) { try untrusted.clientCredentials(clientID: "app-id", secret: "right-secret") }
        #expect(error.kind == .tls)
        #expect(error.description.contains("not trusted"))
        #expect(try server.requests().isEmpty)
        // Wrong name: the certificate is for 127.0.0.1/localhost, not this.
        let plain = IdentityPlatform(tenant: "t", authority: "http://127.0.0.1:\(server.port)", http: TokenServer.http)
        let refused = try #require(throws: OAuth2Error.self) { try plain.clientCredentials(clientID: "app-id", secret: "right-secret") }
        #expect(refused.kind == .configuration)
    }

    @Test func anUnreachableEndpointIsTransient() throws {
        let platform = IdentityPlatform(tenant: "t", authority: "https://127.0.0.1:1", http: TokenServer.http)
        let error = try #require(throws: OAuth2Error.self) { try platform.clientCredentials(clientID: "app-id", secret: "right-secret") }
        #expect(error.kind == .network)
        #expect(error.isTransient)
    }

    @Test func certificateAssertionFromTheWalletIsAccepted() throws {
        let server = try TokenServer()
        defer { server.stop() }
        let path = try makeWallet(password: "pw", credentials: [
            .init(alias: "cert", username: "sender@contoso.com", kind: .clientCertificate, secret: "", tenant: "contoso.onmicrosoft.com",
                  clientID: "app-id", authority: server.authority),
        ], identity: true)
        let provider = try WalletTokens.provider(alias: "cert", walletPath: path, walletPassword: "pw",
                                                 settings: .init(http: TokenServer.http))
        #expect(try provider.accessToken().value == "at-1")
        let form = try #require(try server.requests().last?.form)
        #expect(form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        #expect(form["client_secret"] == nil)
        #expect(form["client_assertion"]?.split(separator: ".").count == 3)
    }
}
