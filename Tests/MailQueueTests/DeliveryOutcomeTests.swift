import MailQueue
import Testing

@testable import SMTPConversation

/// `DeliveryOutcome.of(_:recipients:)`: what the engine's `MailResult` comes to for a request,
/// one branch at a time, from results built here (no server: the mapping is pure).
@Suite("Delivery outcome of a mail result")
struct DeliveryOutcomeTests {
    /// A reply written as on the wire, e.g. `550 5.1.1 no such user`.
    static func reply(_ text: String) -> Reply {
        Reply(Int(text.prefix(3))!, String(text.dropFirst(4)))
    }

    /// A result with the given replies (nil: the step was not reached).
    static func result(mail: String = "250 ok", recipients: [(String, String)] = [("bob@example.com", "250 ok")],
                       data: String? = "354 go", final: String? = "250 2.0.0 queued", failure: SMTPError? = nil,
                       outcomeKnown: Bool = true, withheld: Bool = false) -> MailResult {
        var result = MailResult(mailReply: reply(mail), recipientReplies: recipients.map { ($0.0, reply($0.1)) })
        result.dataReply = data.map(reply)
        result.finalReply = final.map(reply)
        result.failure = failure
        result.isOutcomeKnown = outcomeKnown
        result.isWithheld = withheld
        return result
    }

    static let dropped = SMTPError(.connectionClosed("the server closed the connection"))

    @Test("a 250 to the final dot is sent; so is a message some recipients refused, recorded with them")
    func delivered() {
        #expect(DeliveryOutcome.of(Self.result(), recipients: 1) == .sent)
        #expect(DeliveryOutcome.refusedRecipients(in: Self.result()) == nil)
        let some = Self.result(recipients: [("bob@example.com", "250 ok"), ("nobody@example.com", "550 5.1.1 no such user")])
        #expect(DeliveryOutcome.of(some, recipients: 2) == .sent)
        #expect(DeliveryOutcome.refusedRecipients(in: some) == "nobody@example.com: 550 5.1.1 no such user")
    }

    @Test("every recipient refused: retried when any refusal is 4xx, failed when all are 5xx, each named")
    func everyRecipientRefused() {
        let permanent = Self.result(
            recipients: [("bob@example.com", "550 5.1.1 no such user"), ("carol@example.com", "553 5.1.3 bad address")],
            data: "554 5.5.1 no valid recipients", final: nil)
        #expect(DeliveryOutcome.of(permanent, recipients: 2) == .failed(
            "RCPT TO: every recipient refused: bob@example.com: 550 5.1.1 no such user; carol@example.com: 553 5.1.3 bad address"))
        let mixed = Self.result(
            recipients: [("bob@example.com", "550 5.1.1 no such user"), ("carol@example.com", "452 4.2.2 mailbox full")],
            data: nil, final: nil)
        #expect(DeliveryOutcome.of(mixed, recipients: 2) == .retry(
            "RCPT TO: every recipient refused: bob@example.com: 550 5.1.1 no such user; carol@example.com: 452 4.2.2 mailbox full"))
    }

    @Test("MAIL FROM refused: 4xx retried, 5xx failed, 530 a configuration error; no recipient recorded")
    func mailRefused() {
        let refused = { (text: String) in Self.result(mail: text, recipients: [("bob@example.com", "503 5.5.1 MAIL first")], data: nil, final: nil) }
        #expect(DeliveryOutcome.of(refused("451 4.3.0 try later"), recipients: 1) == .retry("MAIL FROM: 451 4.3.0 try later"))
        #expect(DeliveryOutcome.of(refused("550 5.7.1 sender refused"), recipients: 1) == .failed("MAIL FROM: 550 5.7.1 sender refused"))
        #expect(DeliveryOutcome.of(refused("530 5.7.0 Authentication required"), recipients: 1)
            == .configuration("MAIL FROM: 530 5.7.0 Authentication required"))
        #expect(DeliveryOutcome.refusedRecipients(in: refused("550 5.7.1 sender refused")) == nil)
    }

    @Test("DATA refused: 4xx retried, 5xx failed; a DATA answered with something else than 354 retried")
    func dataRefused() {
        #expect(DeliveryOutcome.of(Self.result(data: "451 4.3.0 try later", final: nil), recipients: 1)
            == .retry("DATA: 451 4.3.0 try later"))
        #expect(DeliveryOutcome.of(Self.result(data: "554 5.3.4 too big", final: nil), recipients: 1) == .failed("DATA: 554 5.3.4 too big"))
        #expect(DeliveryOutcome.of(Self.result(data: "250 ok", final: nil), recipients: 1) == .retry("DATA: answered 250 ok, not 354"))
    }

    @Test("final dot refused: 4xx retried, 5xx failed (a 530 there is the message's, not the settings')")
    func finalDotRefused() {
        #expect(DeliveryOutcome.of(Self.result(final: "451 4.3.0 try later"), recipients: 1) == .retry("final dot: 451 4.3.0 try later"))
        #expect(DeliveryOutcome.of(Self.result(final: "554 5.7.1 spam"), recipients: 1) == .failed("final dot: 554 5.7.1 spam"))
        #expect(DeliveryOutcome.of(Self.result(final: "530 5.7.0 Authentication required"), recipients: 1)
            == .failed("final dot: 530 5.7.0 Authentication required"))
    }

    @Test("a failure after the final dot was written leaves the outcome unknown: uncertain, never retried")
    func unknownOutcome() {
        let result = Self.result(final: nil, failure: Self.dropped, outcomeKnown: false)
        guard case .uncertain(let text) = DeliveryOutcome.of(result, recipients: 1) else {
            Issue.record("not uncertain: \(DeliveryOutcome.of(result, recipients: 1))")
            return
        }
        #expect(text.hasPrefix("final dot: ") && text.contains("closed the connection"))
        // A final dot with no reply and no failure (the engine never returns it) is uncertain too.
        #expect(DeliveryOutcome.of(Self.result(final: nil), recipients: 1) == .uncertain("final dot: no reply"))
    }

    @Test("a failure before the final dot is retried, naming the step it cut short")
    func failureBeforeDot() {
        let cases: [(MailResult, Int, String)] = [
            (Self.result(recipients: [], data: nil, final: nil, failure: Self.dropped), 1, "RCPT TO: "),
            (Self.result(recipients: [("bob@example.com", "250 ok")], data: nil, final: nil, failure: Self.dropped), 2, "RCPT TO: "),
            (Self.result(data: nil, final: nil, failure: Self.dropped), 1, "DATA: "),
            (Self.result(final: nil, failure: Self.dropped), 1, "message body: "),
            (Self.result(final: nil, failure: SMTPError(.timeout(10))), 1, "message body: "),
        ]
        for (result, recipients, step) in cases {
            let outcome = DeliveryOutcome.of(result, recipients: recipients)
            guard case .retry(let text) = outcome else {
                Issue.record("not retried: \(outcome)")
                continue
            }
            #expect(text.hasPrefix(step), "\(text)")
        }
        // A message the engine refused before writing it (a bare CR) can never go as it is.
        let invalid = Self.result(final: nil, failure: SMTPError(.invalidArgument(field: "message", reason: "a bare CR at line 3")))
        guard case .failed(let text) = DeliveryOutcome.of(invalid, recipients: 1) else {
            Issue.record("not failed: \(DeliveryOutcome.of(invalid, recipients: 1))")
            return
        }
        #expect(text.hasPrefix("message: ") && text.contains("bare CR"))
    }

    @Test("a withheld final dot: the server discarded the message, so it is retried, not uncertain")
    func withheld() {
        let result = Self.result(final: nil, withheld: true)
        #expect(DeliveryOutcome.of(result, recipients: 1) == .retry("final dot: withheld, the connection closed without it"))
    }
}
