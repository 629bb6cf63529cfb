import Foundation
import SMTPConversation
import SMTPTranscript
import Testing

/// Real TLS with the test PKI in certs/: each verification failure says why.
@Suite("TLS verification")
struct TLSTests {
    static let starttls = TestTranscripts.starttls

    func attempt(certificate: String, host: String = "127.0.0.1", secureHost: String? = nil,
                 tls: TLSConfiguration = TestEnvironment.testTLS) throws -> (SMTPError?, SMTPConnection?) {
        let server = try serve(try Transcript(parsing: Self.starttls), mode: .meaning, certificate: certificate)
        defer {
            server.stop()
            _ = server.waitForOutcome(timeout: 10)
        }
        let connection = try SMTPConnection.openConnection(
            host: host, port: server.port, txTimeout: 10, secureHost: secureHost, options: SMTPConnection.Options(tls: tls))
        try connection.ehlo("client.example.com")
        do {
            try connection.starttls()
            try connection.ehlo("client.example.com")
            try connection.quit()
            return (nil, connection)
        } catch {
            return (error, connection)
        }
    }

    @Test("STARTTLS refused: fails closed either way; a 4xx is temporary (a retry may work), a 5xx is not")
    func starttlsRefused() throws {
        for (code, transient) in [("454 4.7.0 TLS not available due to temporary reason", true), ("554 5.7.3 No TLS here", false)] {
            let server = try serve(try Transcript(parsing: """
                220 mail.example.test ESMTP
                > EHLO client.example.com
                250-mail.example.test
                250 STARTTLS
                > STARTTLS
                \(code)

                """), mode: .meaning)
            defer { server.stop() }
            let connection = try SMTPConnection.openConnection(host: "127.0.0.1", port: server.port, txTimeout: 10)
            try connection.ehlo("client.example.com")
            var caught: SMTPError?
            do { _ = try connection.starttls() } catch { caught = error }
            let error = try #require(caught, "\(code): STARTTLS refused must fail")
            guard error.code == .tlsRequired else {
                Issue.record("\(code): \(error)")
                continue
            }
            #expect(error.isTransient == transient && error.isPermanent == !transient, "\(code)")
            #expect(error.refusal?.code == Int(code.prefix(3)))
            #expect(connection.isClosed, "never goes on without TLS")
        }
        #expect(SMTPError(.tlsRequired("not advertised")).isPermanent, "no STARTTLS offered: no retry fixes it")
    }

    @Test("a valid certificate: STARTTLS upgrades the same connection")
    func valid() throws {
        let (error, connection) = try attempt(certificate: "server")
        #expect(error == nil, "\(String(describing: error))")
        let leaf = try #require(connection?.peerCertificates.first)
        #expect(leaf.subjectAlternativeNames.contains("127.0.0.1"))
        #expect(leaf.sha256Fingerprint.split(separator: ":").count == 32)
        #expect(leaf.issuer.contains("CN="))
    }

    @Test("a chain through an intermediate verifies")
    func chained() throws {
        let (error, connection) = try attempt(certificate: "chain-server", host: "localhost")
        #expect(error == nil, "\(String(describing: error))")
        #expect(connection?.peerCertificates.count == 2)
    }

    @Test("expired: the error gives the date")
    func expired() throws {
        let (error, _) = try attempt(certificate: "expired")
        let message = try #require(error).description
        #expect(message.contains("expired on 20"), "\(message)")
        #expect(error?.kindName == "tls" && message.contains("starttls"))
    }

    @Test("not yet valid: the error gives the date")
    func notYetValid() throws {
        let (error, _) = try attempt(certificate: "not-yet-valid")
        let message = try #require(error).description
        #expect(message.contains("not valid before 20"), "\(message)")
    }

    @Test("unknown issuer: a self-signed certificate names its issuer")
    func selfSigned() throws {
        let (error, _) = try attempt(certificate: "self-signed", host: "localhost")
        let message = try #require(error).description
        #expect(message.contains("unknown issuer") && message.contains("CN="), "\(message)")
    }

    @Test("unknown issuer: the system store does not trust the test CA")
    func systemTrust() throws {
        let (error, _) = try attempt(certificate: "server", tls: TLSConfiguration(trust: .system))
        #expect(try #require(error).description.contains("unknown issuer"))
    }

    @Test("host name mismatch lists the names in the certificate")
    func wrongHost() throws {
        let (error, _) = try attempt(certificate: "wrong-host", host: "localhost")
        let message = try #require(error).description
        #expect(message.contains("host name mismatch") && message.contains("wrong.example.test"), "\(message)")
    }

    @Test("secure_host overrides the name checked")
    func secureHost() throws {
        let (error, _) = try attempt(certificate: "wrong-host", host: "127.0.0.1", secureHost: "wrong.example.test")
        #expect(error == nil, "\(String(describing: error))")
        let (mismatch, _) = try attempt(certificate: "server", host: "127.0.0.1", secureHost: "other.example.test")
        #expect(mismatch?.description.contains("host name mismatch") == true)
    }

    @Test("wildcards: *.example.test covers one label, never the bare domain or two labels", arguments: [
        ("mail.example.test", true), ("MAIL.Example.Test", true), ("example.test", false), ("a.b.example.test", false),
        ("mail.example.org", false),
    ])
    func wildcard(_ name: String, _ accepted: Bool) throws {
        let (error, _) = try attempt(certificate: "wildcard", host: "127.0.0.1", secureHost: name)
        #expect((error == nil) == accepted, "\(name): \(String(describing: error))")
        if !accepted { #expect(error?.description.contains("*.example.test") == true) }
    }

    @Test("a directory of PEM files is a trust source")
    func directoryTrust() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: TestEnvironment.cert("ca.pem"), toPath: directory.appendingPathComponent("ca.pem").path)
        let (error, _) = try attempt(certificate: "server", tls: TLSConfiguration(trust: .pemDirectory(directory.path)))
        #expect(error == nil, "\(String(describing: error))")
    }

    struct Anchors: TrustProvider {
        let der: [[UInt8]]
        func trustedCertificatesDER() throws -> [[UInt8]] { der }
    }

    @Test("a trust provider (the wallet's seam) gives DER anchors")
    func providerTrust() throws {
        let pem = try String(contentsOfFile: TestEnvironment.cert("ca.pem"), encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = try #require(Base64.decode(body))
        let (error, _) = try attempt(certificate: "server", tls: TLSConfiguration(trust: .provider(Anchors(der: [der]))))
        #expect(error == nil, "\(String(describing: error))")
        let (refused, _) = try attempt(certificate: "server", tls: TLSConfiguration(trust: .provider(Anchors(der: []))))
        #expect(refused?.description.contains("unknown issuer") == true)
    }

    @Test("implicit TLS verifies before the greeting")
    func implicitTLS() throws {
        let transcript = try Transcript(parsing: "@tls\n220 smtps ready\n> QUIT\n221 bye\n")
        let server = try serve(transcript, mode: .meaning, certificate: "expired")
        defer { server.stop() }
        #expect {
            _ = try SMTPConnection.openConnection(
                host: "127.0.0.1", port: server.port, txTimeout: 10, secureConnectionBeforeSMTP: true,
                options: SMTPConnection.Options(tls: TestEnvironment.testTLS))
        } throws: { error in
            "\(error)".contains("expired on") && "\(error)".contains("open_connection")
        }
    }
}
