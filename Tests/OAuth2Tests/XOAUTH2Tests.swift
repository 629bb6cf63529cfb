import Foundation
import OAuth2
import SMTPConversation
import SMTPTranscript
import Testing
import TrustStore

/// End to end: a credential alias in the wallet, a token from the local identity platform over
/// TLS, and AUTH XOAUTH2 over STARTTLS against the transcript server expecting the exact bytes.
@Suite(.serialized) struct XOAUTH2Tests {
    static func xoauth2(_ user: String, _ token: String) -> String {
        Data("user=\(user)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8).base64EncodedString()
    }

    static func transcript(_ auth: String) -> String {
        """
        220 smtp.office365.test ESMTP
        > EHLO client.example.com
        250-smtp.office365.test
        250 STARTTLS
        > STARTTLS
        220 2.0.0 SMTP server ready
        @tls
        > EHLO client.example.com
        250-smtp.office365.test
        250 AUTH LOGIN XOAUTH2
        \(auth)
        > QUIT
        221 2.0.0 bye
        """
    }

    /// Runs `body` on a STARTTLS connection to a transcript server playing `script` strictly.
    static func converse(_ script: String, recorder: TranscriptRecorder = TranscriptRecorder(),
                         _ body: (SMTPConnection) throws -> Void) throws -> ServeOutcome {
        let server = try TranscriptServer(transcript: Transcript(parsing: script), mode: .strict,
                                          tlsCertificatePath: Paths.cert("server.pem"), tlsKeyPath: Paths.cert("server.key"))
        defer { server.stop() }
        server.start(connections: 1, acceptTimeout: 20)
        let connection = try SMTPConnection.openConnection(
            host: "127.0.0.1", port: server.port, txTimeout: 10,
            options: .init(tls: TLSConfiguration(trust: .pemFile(Paths.cert("ca.pem"))), observer: recorder.observer))
        try connection.ehlo("client.example.com")
        try connection.starttls()
        try connection.ehlo("client.example.com")
        try body(connection)
        try connection.quit()
        return try #require(server.waitForOutcome(timeout: 30))
    }

    static func walletWithClientSecret(_ server: TokenServer, secret: String = "right-secret") throws -> String {
        try makeWallet(password: "wallet-pw", credentials: [
            .init(alias: "o365", username: "sender@contoso.com", kind: .clientSecret, secret: secret,
                  tenant: "contoso.onmicrosoft.com", clientID: "app-id", authority: server.authority),
        ])
    }

    @Test func credentialAliasAuthenticatesWithTheIssuedToken() throws {
        let tokens = try TokenServer()
        defer { tokens.stop() }
        let path = try Self.walletWithClientSecret(tokens)
        let recorder = TranscriptRecorder()
        let script = Self.transcript("""
            > AUTH XOAUTH2 \(Self.xoauth2("sender@contoso.com", "at-1"))
            235 2.7.0 Authentication successful
            """)
        let outcome = try Self.converse(script, recorder: recorder) { connection in
            let provider = try WalletTokens.provider(alias: "o365", walletPath: path, walletPassword: "wallet-pw",
                                                     settings: .init(http: TokenServer.http))
            let credential = try WalletTokens.credential(alias: "o365", walletPath: path, walletPassword: "wallet-pw")
            let reply = try authenticateXOAUTH2(connection: connection, username: credential.username, provider: provider)
            #expect(reply.code == 235)
        }
        #expect(outcome.followed, "\(outcome)")
        let recorded = recorder.transcript.render()
        #expect(recorded.contains("AUTH XOAUTH2"))
        for secret in ["at-1", Self.xoauth2("sender@contoso.com", "at-1"), "right-secret", "wallet-pw"] { #expect(!recorded.contains(secret)) }
    }

    @Test func a535WithACachedTokenIsRetriedOnceWithAFreshOne() throws {
        let tokens = try TokenServer()
        defer { tokens.stop() }
        let path = try Self.walletWithClientSecret(tokens)
        let provider = try WalletTokens.provider(alias: "o365", walletPath: path, walletPassword: "wallet-pw", settings: .init(http: TokenServer.http))
        #expect(try provider.accessToken().value == "at-1")  // cached, and (the script says) expired at the server
        let script = Self.transcript("""
            > AUTH XOAUTH2 \(Self.xoauth2("sender@contoso.com", "at-1"))
            535 5.7.3 Authentication unsuccessful: token expired
            > AUTH XOAUTH2 \(Self.xoauth2("sender@contoso.com", "at-2"))
            235 2.7.0 Authentication successful
            """)
        let outcome = try Self.converse(script) { connection in
            let reply = try authenticateXOAUTH2(connection: connection, username: "sender@contoso.com", provider: provider)
            #expect(reply.code == 235)
        }
        #expect(outcome.followed, "\(outcome)")
        #expect(provider.fetchCount == 2)
    }

    @Test func aSecondRefusalIsReportedWithTheSendAsAppHint() throws {
        let tokens = try TokenServer()
        defer { tokens.stop() }
        let path = try Self.walletWithClientSecret(tokens)
        let provider = try WalletTokens.provider(alias: "o365", walletPath: path, walletPassword: "wallet-pw", settings: .init(http: TokenServer.http))
        _ = try provider.accessToken()
        let script = Self.transcript("""
            > AUTH XOAUTH2 \(Self.xoauth2("sender@contoso.com", "at-1"))
            535 5.7.3 Authentication unsuccessful
            > AUTH XOAUTH2 \(Self.xoauth2("sender@contoso.com", "at-2"))
            535 5.7.3 Authentication unsuccessful
            """)
        let outcome = try Self.converse(script) { connection in
            let error = try #require(throws: SMTPError.self) {
                try authenticateXOAUTH2(connection: connection, username: "sender@contoso.com", provider: provider)
            }
            #expect(error.reply?.code == 535)
            #expect(error.isPermanent)
            #expect(error.description.contains("SMTP.SendAsApp"))
            #expect(!error.description.contains("at-2") && !error.description.contains("at-1"))
        }
        #expect(outcome.followed, "\(outcome)")
        #expect(provider.fetchCount == 2)
    }

    @Test func aFreshTokenRefusedWithoutExpiryIsNotRetried() throws {
        let tokens = try TokenServer()
        defer { tokens.stop() }
        let path = try Self.walletWithClientSecret(tokens)
        let provider = try WalletTokens.provider(alias: "o365", walletPath: path, walletPassword: "wallet-pw", settings: .init(http: TokenServer.http))
        let script = Self.transcript("""
            > AUTH XOAUTH2 \(Self.xoauth2("sender@contoso.com", "at-1"))
            535 5.7.3 Authentication unsuccessful
            """)
        let outcome = try Self.converse(script) { connection in
            #expect(throws: SMTPError.self) { try authenticateXOAUTH2(connection: connection, username: "sender@contoso.com", provider: provider) }
        }
        #expect(outcome.followed, "\(outcome)")
        #expect(provider.fetchCount == 1)
    }

    @Test func aTokenFailureIsAnSMTPErrorWithTheAADSTSMeaning() throws {
        let tokens = try TokenServer()
        defer { tokens.stop() }
        let path = try Self.walletWithClientSecret(tokens, secret: "stale-secret-3141")
        let outcome = try Self.converse(Self.transcript("")) { connection in
            let provider = try WalletTokens.provider(alias: "o365", walletPath: path, walletPassword: "wallet-pw", settings: .init(http: TokenServer.http))
            let error = try #require(throws: SMTPError.self) {
                try authenticateXOAUTH2(connection: connection, username: "sender@contoso.com", provider: provider)
            }
            #expect(error.isPermanent)
            #expect(error.description.contains("AADSTS7000215"))
            #expect(!error.description.contains("stale-secret-3141"))
        }
        #expect(outcome.followed, "\(outcome)")
    }
}
