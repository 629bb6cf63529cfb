import SMTPConversation
import Testing

@Suite("SASL and credentials")
struct SASLTests {
    let credentials = Credentials(username: "tim", password: "tanstaaftanstaaf")

    @Test("CRAM-MD5 answers the RFC 2195 example")
    func cramMD5() throws {
        var sasl = try SASLClient(mechanism: "CRAM-MD5", credentials: credentials)
        #expect(sasl.initialResponse == nil)
        let challenge = Reply(334, Base64.encode("<1896.697170952@postoffice.reston.mci.net>"))
        let response = try sasl.respond(to: challenge)
        #expect(Base64.decode(response).map { String(decoding: $0, as: UTF8.self) } == "tim b913a602c7eda7a495b4e6e7334d3890")
    }

    @Test("PLAIN and XOAUTH2 initial responses")
    func initialResponses() throws {
        let plain = try SASLClient(mechanism: "plain", credentials: Credentials(username: "alice", password: "wonderland"))
        #expect(plain.initialResponse.flatMap(Base64.decode) == Array("\0alice\0wonderland".utf8))
        let xoauth = try SASLClient(mechanism: "XOAUTH2", credentials: Credentials(username: "a@contoso.com", accessToken: "tok"))
        #expect(xoauth.initialResponse.flatMap(Base64.decode) == Array("user=a@contoso.com\u{1}auth=Bearer tok\u{1}\u{1}".utf8))
    }

    @Test("LOGIN answers what the prompts ask, in whatever order")
    func loginPrompts() throws {
        var sasl = try SASLClient(mechanism: "LOGIN", credentials: credentials)
        let password = try sasl.respond(to: Reply(334, Base64.encode("Password:")))
        let user = try sasl.respond(to: Reply(334, Base64.encode("Username:")))
        #expect(Base64.decode(password) == Array("tanstaaftanstaaf".utf8))
        #expect(Base64.decode(user) == Array("tim".utf8))
    }

    @Test("XOAUTH2 error challenge gets an empty line and keeps the JSON")
    func xoauthError() throws {
        var sasl = try SASLClient(mechanism: "XOAUTH2", credentials: Credentials(username: "a", accessToken: "t"))
        let json = #"{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/SMTP.Send"}"#
        #expect(try sasl.respond(to: Reply(334, Base64.encode(json))) == "")
        #expect(sasl.serverError == json)
    }

    @Test("at most five challenge rounds")
    func rounds() throws {
        var sasl = try SASLClient(mechanism: "LOGIN", credentials: credentials)
        for _ in 0..<5 { _ = try sasl.respond(to: Reply(334, Base64.encode("Username:"))) }
        #expect(throws: SMTPError.self) { _ = try sasl.respond(to: Reply(334, Base64.encode("Username:"))) }
    }

    @Test("unknown mechanisms are unsupportedScheme")
    func unknown() {
        #expect {
            _ = try SASLClient(mechanism: "GSSAPI", credentials: credentials)
        } throws: { ($0 as? SMTPError)?.kindName == "unsupportedScheme" }
    }

    @Test("credentials never show the secret")
    func description() {
        let token = Credentials(username: "a@contoso.com", accessToken: "eyJ0eXAiOiJKV1Qi")
        for text in ["\(credentials)", String(reflecting: credentials), "\(token)", String(reflecting: token)] {
            #expect(!text.contains("tanstaaf") && !text.contains("eyJ0eXAi"))
        }
    }

    @Test("base64 round trips", arguments: ["", "f", "fo", "foo", "foob", "fooba", "foobar", "日本語"])
    func base64(_ text: String) {
        #expect(Base64.decode(Base64.encode(text)) == Array(text.utf8))
    }
}
