import Foundation
import MailMessage
import SMTPConversation
import Testing

/// `MailMessage.write(to:)` through the connection's transaction engine, over an in-memory
/// stream: what the client writes, and what each refusal and failure becomes.
@Suite("MailMessage.write(to:) through the transaction engine")
struct EngineDeliveryTests {
    static func message() throws -> MailMessage {
        var message = try sampleMessage()
        message.cc = [try MailAddress("cc@example.com")]
        message.bcc = [try MailAddress("bcc@example.com")]
        return message
    }

    static func connect(_ turns: [ScriptedServer.Turn]) throws -> (SMTPConnection, ScriptedServer) {
        let server = ScriptedServer([.reply("220 mx"), .reply("250-mx\n250-PIPELINING\n250 8BITMIME")] + turns)
        let connection = try SMTPConnection.open(over: server.client, txTimeout: 10)
        try connection.ehlo("client.example.com")
        return (connection, server)
    }

    static let envelope =
        "MAIL FROM:<sender@example.com> BODY=8BITMIME\r\nRCPT TO:<to@example.com>\r\nRCPT TO:<cc@example.com>\r\n"
        + "RCPT TO:<bcc@example.com>\r\nDATA\r\n"

    @Test("the envelope is pipelined, the message streamed as encode() makes it, the hook before the dot")
    func pipelined() throws {
        let message = try Self.message()
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("550 5.1.1 no cc"), .reply("250 ok"), .reply("354 go"),
             .reply("250 2.0.0 queued"), .reply("221 bye")])
        var writtenAtHook = ""
        let report = try message.write(to: connection) { writtenAtHook = server.clientBytes }
        try connection.quit()
        #expect(report.reply.code == 250 && report.accepted == ["to@example.com", "bcc@example.com"])
        #expect(report.refused.map(\.recipient) == ["cc@example.com"] && report.refused.first?.error.reply?.code == 550)
        let encoded = String(decoding: try message.encoded(options: EncodingOptions(allow8Bit: true)), as: UTF8.self)
        let body = encoded.replacingOccurrences(of: "\r\n.", with: "\r\n..")
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", Self.envelope, body + ".\r\n", "QUIT\r\n"])
        #expect(writtenAtHook == "EHLO client.example.com\r\n" + Self.envelope)
    }

    @Test("a hook that throws: no final dot, the connection closed, its error thrown")
    func hookThrows() throws {
        struct LeaseLost: Error {}
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("250 ok"), .reply("250 ok"), .reply("354 go")])
        #expect(throws: LeaseLost.self) { try Self.message().write(to: connection) { throw LeaseLost() } }
        #expect(connection.isClosed)
        #expect(server.waitUntilDone())
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", Self.envelope])
    }

    @Test("every recipient refused: the transaction is reset and the first refusal thrown")
    func everyRecipientRefused() throws {
        let (connection, server) = try Self.connect(
            [.reply("250 ok"), .reply("550 5.1.1 no to"), .reply("450 4.2.1 cc later"), .reply("550 5.1.1 no bcc"),
             .reply("554 5.5.1 no valid recipients"), .reply("250 reset"), .reply("221 bye")])
        #expect {
            try Self.message().write(to: connection)
        } throws: { error in
            (error as? SMTPError)?.reply?.lines == ["5.1.1 no to"] && "\(error)".contains("rcpt: permanent error")
        }
        try connection.quit()
        #expect(server.clientWrites == ["EHLO client.example.com\r\n", Self.envelope, "RSET\r\n", "QUIT\r\n"])
    }

    @Test("a refused final dot is thrown with its reply")
    func finalDotRefused() throws {
        let (connection, _) = try Self.connect(
            [.reply("250 ok"), .reply("250 ok"), .reply("250 ok"), .reply("250 ok"), .reply("354 go"), .reply("554 5.7.1 spam"),
             .reply("221 bye")])
        #expect {
            try Self.message().write(to: connection)
        } throws: { error in
            (error as? SMTPError)?.reply?.code == 554 && "\(error)".contains("close_data: permanent error")
        }
        try connection.quit()
    }
}
