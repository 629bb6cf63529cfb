import Foundation
import MailQueue
import SMTPConversation
import Testing

/// The sender with a server that offers PIPELINING: MAIL, RCPT and DATA go out together, the
/// body and the final dot after the uncertain mark.
@Suite("Sender with PIPELINING")
struct PipelinedSenderTests {
    @Test("MAIL, RCPT and DATA in one group; the request ends sent")
    func pipelined() throws {
        let script = """
            220 mx ESMTP
            > EHLO client.example.com
            250-mx
            250 PIPELINING
            > MAIL FROM:<alice@example.com>
            > RCPT TO:<bob@example.com>
            > DATA
            250 2.1.0 Ok
            250 2.1.5 Ok
            354 go ahead
            > Subject: hello
            >
            > body
            > .
            250 2.0.0 OK
            > QUIT
            221 bye
            """
        let (details, _, outcome) = try sendOnce(script) { port in
            SMTPSettings(host: "127.0.0.1", port: port, heloName: "client.example.com", timeout: 10)
        }
        let served = try #require(outcome)
        #expect(served.followed, "\(String(describing: served.deviation))")
        #expect(details.status == .sent)
    }
}
