import SMTPConversation
import Testing

/// The rules the state machine decides (STARTTLS required, cleartext AUTH, scheme choice, the
/// greeting), tested on `Conversation` alone: bytes in, bytes out, no sockets.
@Suite("Conversation rules")
struct ConversationRuleTests {
    func thrown(_ body: () throws -> Void) -> SMTPError? {
        do { try body() } catch { return error as? SMTPError }
        return nil
    }

    @Test("the greeting: 220 connects; 554, 421 and a 2xx other than 220 close it with the reply as the error")
    func greeting() throws {
        for (line, code, transient) in [("554 5.7.1 no service", SMTPError.Code.permanentError, false),
                                        ("421 4.3.2 busy", .transientError, true),
                                        ("250 hello?", .permanentError, false)] {
            var conversation = Conversation()
            conversation.receive(Array((line + "\r\n").utf8))
            let reply = try #require(try conversation.nextReply(), "the reply is still returned: \(line)")
            #expect(reply.singleLine == line)
            #expect(conversation.phase == .closed, "\(line)")
            let error = try #require(conversation.closingError, "\(line)")
            #expect(error.code == code && error.reply == reply && error.isTransient == transient, "\(line): \(error)")
            #expect(thrown { _ = try conversation.send(.ehlo("client")) }?.code == .invalidOperation)
        }
        let ok = try Conversation.greeted()
        #expect(ok.phase == .connected && ok.closingError == nil)
    }

    @Test("STARTTLS the latest EHLO did not advertise is refused: tlsRequired, nothing sent, conversation closed")
    func startTLSNotAdvertised() throws {
        var conversation = try Conversation.greeted(ehlo: ["AUTH PLAIN"])
        var bytes: [UInt8]?
        let error = thrown { bytes = try conversation.send(.startTLS) }
        #expect(bytes == nil)
        #expect(error?.code == .tlsRequired && error?.isPermanent == true, "\(String(describing: error))")
        #expect(error?.message?.contains("did not advertise STARTTLS") == true)
        #expect(conversation.phase == .closed, "never goes on without TLS")
        #expect(conversation.outstandingSteps.isEmpty)

        var advertised = try Conversation.greeted(ehlo: ["STARTTLS"])
        #expect(String(decoding: try advertised.send(.startTLS), as: UTF8.self) == "STARTTLS\r\n")
        var afterHelo = try Conversation.greeted()
        #expect(try afterHelo.send(.startTLS).isEmpty == false, "no EHLO: nothing advertised to check against")
    }

    @Test("a refused STARTTLS closes the conversation; the refusal is in the error, 4xx transient, 5xx permanent")
    func startTLSRefused() throws {
        for (line, transient) in [("454 4.7.0 TLS not available", true), ("502 5.5.1 not implemented", false),
                                  ("250 sure", false), ("421 4.3.2 going away", true)] {
            var conversation = try Conversation.greeted(ehlo: ["STARTTLS"])
            _ = try conversation.send(.startTLS)
            conversation.receive(Array((line + "\r\n").utf8))
            let reply = try #require(try conversation.nextReply())
            #expect(conversation.phase == .closed, "\(line)")
            let error = try #require(conversation.closingError, "\(line)")
            #expect(error.code == .tlsRequired && error.refusal == reply && error.reply == nil, "\(line): \(error)")
            #expect(error.isTransient == transient && error.isPermanent == !transient, "\(line)")
            #expect(thrown { _ = try conversation.send(.ehlo("client")) }?.code == .invalidOperation, "\(line)")
        }
        var accepted = try Conversation.greeted(ehlo: ["STARTTLS"])
        _ = try accepted.send(.startTLS)
        accepted.receive(Array("220 go ahead\r\n".utf8))
        _ = try accepted.nextReply()
        #expect(accepted.phase == .tlsHandshake && accepted.closingError == nil)
    }

    @Test("AUTH that sends the secret is refused without TLS unless opted in; CRAM-MD5 and TLS are fine")
    func cleartextAuth() throws {
        for mechanism in ["PLAIN", "LOGIN", "XOAUTH2", "plain"] {
            var conversation = try Conversation.greeted(ehlo: ["AUTH PLAIN LOGIN XOAUTH2"])
            let error = thrown { _ = try conversation.send(.auth(mechanism: mechanism, initialResponse: nil)) }
            #expect(error?.code == .cleartextAuthRefused && error?.isPermanent == true, "\(mechanism)")
            #expect(error?.message?.contains("STARTTLS") == true && error?.message?.contains("allowCleartextAuth") == true)
            #expect(conversation.outstandingSteps.isEmpty && conversation.phase == .session, "nothing sent, still usable")
        }
        var optedIn = try Conversation.greeted(ehlo: ["AUTH PLAIN"], allowsCleartextAuth: true)
        #expect(String(decoding: try optedIn.send(.auth(mechanism: "PLAIN", initialResponse: "AGEAYg==")), as: UTF8.self)
            == "AUTH PLAIN AGEAYg==\r\n")
        var cram = try Conversation.greeted(ehlo: ["AUTH CRAM-MD5"])
        #expect(try cram.send(.auth(mechanism: "CRAM-MD5", initialResponse: nil)).isEmpty == false)

        var tls = try Conversation.greeted(ehlo: ["AUTH PLAIN"], isTLS: true)
        #expect(try tls.send(.auth(mechanism: "PLAIN", initialResponse: "AGEAYg==")).isEmpty == false)
    }

    @Test("scheme choice: the caller's first scheme the server offers; with no EHLO the first; unknown and unoffered refused")
    func schemeChoice() throws {
        let offering = try Conversation.greeted(ehlo: ["AUTH LOGIN XOAUTH2 PLAIN"])
        #expect(try offering.authMechanism(choosingFrom: ["CRAM-MD5", "xoauth2", "LOGIN"]) == "XOAUTH2")
        #expect(try offering.authMechanism(choosingFrom: ["PLAIN LOGIN"]) == "PLAIN", "a scheme may hold several names")
        #expect(try Conversation.greeted().authMechanism(choosingFrom: ["LOGIN", "PLAIN"]) == "LOGIN")

        let unknown = thrown { _ = try offering.authMechanism(choosingFrom: ["LOGIN", "GSSAPI"]) }
        #expect(unknown?.code == .unsupportedScheme && unknown?.message == "GSSAPI")
        let none = thrown { _ = try offering.authMechanism(choosingFrom: ["CRAM-MD5"]) }
        #expect(none?.code == .noSupportedScheme)
        #expect(none?.kind.schemes?.requested == ["CRAM-MD5"] && none?.kind.schemes?.offered == ["LOGIN", "XOAUTH2", "PLAIN"])
        let empty = thrown { _ = try offering.authMechanism(choosingFrom: [" "]) }
        #expect(empty?.code == .invalidArgument && empty?.kind.field == "schemes")
    }
}

/// `SMTPError(refusing:)` and the error's growable code.
@Suite("SMTPError")
struct SMTPErrorTests {
    @Test("refusing: 4xx transient, 5xx permanent, nil for 2xx/3xx unless another code was expected")
    func refusing() {
        #expect(SMTPError(refusing: Reply(250, "ok")) == nil)
        #expect(SMTPError(refusing: Reply(354, "go")) == nil)
        let transient = SMTPError(refusing: Reply(451, "4.3.0 later"), context: .init(host: "mx", port: 25, step: "rcpt"))
        #expect(transient?.code == .transientError && transient?.isTransient == true && transient?.reply?.code == 451)
        #expect(transient?.description == "mx:25 rcpt: transient error: 451 4.3.0 later")
        let permanent = SMTPError(refusing: Reply(550, "5.1.1 unknown"))
        #expect(permanent?.code == .permanentError && permanent?.isPermanent == true && permanent?.refusal?.code == 550)
        #expect(SMTPError(refusing: Reply(250, "ok"), expected: 354)?.code == .permanentError)
        #expect(SMTPError(refusing: Reply(354, "go"), expected: 354) == nil)
        #expect(SMTPError(refusing: Reply(421, "bye"), expected: 220)?.code == .transientError)
    }

    @Test("the code is inspectable without an exhaustive enum; its name is the one transcripts' @expect error= uses")
    func code() {
        let error = SMTPError(.timeout(2.5))
        let described: String
        switch error.code {
        case .timeout: described = "timeout"
        default: described = "other"
        }
        #expect(described == "timeout" && error.kindName == "timeout" && error.code.name == "timeout")
        #expect(error.kind.seconds == 2.5 && error.message == nil && error.reply == nil)
        #expect(error.description == "timeout: no reply within 2.5 s")
        #expect(SMTPError(.lineTooLong(limit: 10)).kind.limit == 10)
        #expect(SMTPError(.invalidArgument(field: "host", reason: "empty")).message == "empty")
    }
}
