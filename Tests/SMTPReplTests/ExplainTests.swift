import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// `explain CODE [TEXT]` (REPL and `smtp-repl explain`) and the explanations printed beside
/// refusals, read in the conversation's context.
@Suite struct ExplainTests {
    @Test func theCommandLineReadsTheTextAsWellAsTheCode() throws {
        let basic = try Repl.repl(["explain", "535", "5.7.139", "Authentication unsuccessful, basic authentication is disabled."])
        #expect(basic.status == 0, "\(basic.output)")
        #expect(basic.output.contains("office365.5.7.139.basic") && basic.output.contains("XOAUTH2"))
        let tenant = try Repl.repl(["explain", "535", "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."])
        #expect(tenant.output.contains("office365.5.7.139.tenant") && tenant.output.contains("Set-CASMailbox"))
        let notActive = try Repl.repl(["explain", "421 4.3.2 Service not active"])
        #expect(notActive.status == 0 && notActive.output.contains("going out of service"), "\(notActive.output)")
    }

    @Test func theCommandLineNeverTellsAClientInTLSToStartTLS() throws {
        let inTLS = try Repl.repl(["explain", "--tls", "--after", "MAIL", "530", "5.7.0 Authentication Required."])
        #expect(inTLS.status == 0)
        #expect(!inTLS.output.lowercased().contains("starttls"), "\(inTLS.output)")
        let plain = try Repl.repl(["explain", "--no-tls", "--after", "MAIL", "530", "5.7.0 Authentication Required."])
        #expect(plain.output.contains("starttls"), "\(plain.output)")
    }

    @Test("530 5.7.0 Authentication required is Gmail's only when the reply or --host says so")
    func authRequiredIsGmailsOnlyWhenSaid() throws {
        let plain = try Repl.repl(["explain", "--tls", "--after", "MAIL", "530", "5.7.0 Authentication required"])
        #expect(plain.status == 0 && plain.output.contains("rfc4954.530.auth-required"), "\(plain.output)")
        #expect(!plain.output.contains("Gmail") && !plain.output.contains("google"), "\(plain.output)")
        let byHost = try Repl.repl(["explain", "--tls", "--after", "MAIL", "--host", "smtp.gmail.com", "530", "5.7.0 Authentication Required."])
        #expect(byHost.output.contains("gmail.5.7.0.auth-required"), "\(byHost.output)")
        let byText = try Repl.repl(["explain", "530", "5.7.0 Authentication Required. https://support.google.com/mail/?p=WantAuthError x - gsmtp"])
        #expect(byText.output.contains("gmail.5.7.0.auth-required"), "\(byText.output)")
    }

    /// aiosmtpd (`--auth-required`) answers MAIL before AUTH with RFC 4954's 530 5.7.0: the REPL
    /// prints it with the standard's reading, not Gmail's.
    @Test func aiosmtpdAuthRequiredIsNotExplainedAsGmail() throws {
        guard let peer = try AiosmtpdPeer.start(authRequired: true) else { return }
        defer { peer.stop() }
        let script = """
            open_connection 127.0.0.1 ${PORT} secure_host=localhost
            ehlo client.example.com
            starttls
            ehlo client.example.com
            mail sender@example.com expect=530
            quit
            """
        let result = try Repl.run(Repl.binary, ["run", "-", "--var", "PORT=\(peer.port)", "--trust", Repl.path("certs/ca.pem")], input: script)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("530 5.7.0 Authentication required"), "\(result.output)")
        #expect(result.output.contains("5.7.0 (RFC 4954)") && result.output.contains("authenticate (auth) before mail"), "\(result.output)")
        #expect(!result.output.contains("Gmail"), "\(result.output)")
    }

    @Test func unknownAndBadCodes() throws {
        let unknown = try Repl.repl(["explain", "250", "2.0.0 fine"])
        #expect(unknown.status == 1 && unknown.output.contains("no explanation known"), "\(unknown.output)")
        let bad = try Repl.repl(["explain", "hello"])
        #expect(bad.status == 2 && bad.output.contains("'hello' is neither a reply code"), "\(bad.output)")
        let none = try Repl.repl(["explain"])
        #expect(none.status == 2, "\(none.output)")
    }

    /// Gmail's 530 5.7.0 to MAIL after STARTTLS, printed by the REPL over a real TLS session:
    /// the explanation beside it says to authenticate, not to start TLS.
    @Test func aRefusalAfterSTARTTLSIsExplainedInTLS() throws {
        let transcript = """
            220 smtp.gmail.test ESMTP
            > EHLO client.example.com
            250-smtp.gmail.test
            250 STARTTLS
            > STARTTLS
            220 2.0.0 Ready to start TLS
            @tls
            > EHLO client.example.com
            250-smtp.gmail.test
            250 AUTH LOGIN PLAIN XOAUTH2
            > MAIL FROM:<sender@example.com>
            530-5.7.0 Authentication Required. For more information, go to
            530 5.7.0  https://support.google.com/mail/?p=WantAuthError d2-20020a05620a0c2200b0077f0a4d4578sm4373288qki.108 - gsmtp
            > QUIT
            221 2.0.0 closing connection
            """
        let server = try TranscriptServer(
            transcript: try Transcript(parsing: transcript, name: "gmail-auth-required"), mode: .strict,
            tlsCertificatePath: Repl.path("certs/server.pem"), tlsKeyPath: Repl.path("certs/server.key"), readTimeout: 10)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        let script = """
            open_connection 127.0.0.1 ${PORT} secure_host=localhost
            ehlo client.example.com
            starttls
            ehlo client.example.com
            mail sender@example.com expect=530
            explain 530 "5.7.0 Authentication Required."
            quit
            """
        let result = try Repl.run(Repl.binary, ["run", "-", "--var", "PORT=\(server.port)", "--trust", Repl.path("certs/ca.pem")], input: script)
        #expect(result.status == 0, "\(result.output)")
        let explained = result.output.components(separatedBy: "\n").filter { $0.contains("Gmail") || $0.contains("fix:") }
        #expect(!explained.isEmpty, "\(result.output)")
        #expect(result.output.contains("5.7.0 (Gmail)"), "\(result.output)")
        for line in explained { #expect(!line.lowercased().contains("starttls"), "\(line)") }
        #expect(result.output.contains("authenticate (auth) before mail"))
        #expect(try #require(server.waitForOutcome()).followed)
    }
}
