import Foundation
import MailQueue
import SMTPConversation
import SMTPTranscript
import Testing

/// The transcript server fails at each step of the conversation with 421, 451, 554 and a
/// dropped connection; each request must end in the right status with the reply recorded.
@Suite("Sender outcomes at each failing step")
struct SenderFailureTests {
    enum Step: String, CaseIterable, Sendable {
        case greeting, ehlo, starttls, auth, mail, rcpt, data, finalDot
        var usesTLS: Bool { self == .starttls || self == .auth }
        var isConnectionStage: Bool { [.greeting, .ehlo, .starttls, .auth].contains(self) }
    }

    enum Failure: String, CaseIterable, Sendable {
        case closing = "421 4.3.2 Service shutting down"
        case transient = "451 4.3.0 Try again later"
        case permanent = "554 5.7.1 Refused"
        case drop = "@close"
        var code: String? { self == .drop ? nil : String(rawValue.prefix(3)) }
    }

    /// The conversation up to `step`, the failure, and what the client sends afterwards.
    static func transcript(_ step: Step, _ failure: Failure) -> String {
        var lines: [String] = []
        func fail(_ then: [String]) {
            lines.append(failure.rawValue)
            if failure != .drop && failure != .closing { lines += then }
        }
        if step == .greeting { lines.append(failure.rawValue); return lines.joined(separator: "\n") }
        lines += ["220 mail.example.test ESMTP", "> EHLO client.example.com"]
        if step == .ehlo { fail([]); return lines.joined(separator: "\n") }
        if step.usesTLS {
            lines += ["250-mail.example.test", "250 STARTTLS", "> STARTTLS"]
            if step == .starttls { fail([]); return lines.joined(separator: "\n") }
            lines += ["220 2.0.0 go ahead", "@tls", "> EHLO client.example.com", "250-mail.example.test", "250 AUTH PLAIN",
                      "> AUTH PLAIN {secret}"]
            fail([])
            return lines.joined(separator: "\n")
        }
        lines += ["250 mail.example.test", "> MAIL FROM:<alice@example.com>"]
        let after = ["> RSET", "250 2.0.0 Ok", "> QUIT", "221 bye"]
        if step == .mail { fail(after); return lines.joined(separator: "\n") }
        lines += ["250 2.1.0 Ok", "> RCPT TO:<bob@example.com>"]
        if step == .rcpt { fail(after); return lines.joined(separator: "\n") }
        lines += ["250 2.1.5 Ok", "> DATA"]
        if step == .data { fail(after); return lines.joined(separator: "\n") }
        lines += ["354 go ahead", "> Subject: hello", ">", "> body", "> ."]
        fail(["> QUIT", "221 bye"])
        return lines.joined(separator: "\n")
    }

    /// The status a request must end in.
    static func expected(_ step: Step, _ failure: Failure) -> RequestStatus {
        if step.isConnectionStage { return .unsent }  // not the request's fault: retried
        switch failure {
        case .permanent: return .failed
        case .closing, .transient: return .unsent
        case .drop: return step == .finalDot ? .uncertain : .unsent
        }
    }

    /// Whether the sender takes the failure for a configuration error: a permanent one while the
    /// connection opens (STARTTLS answered 5xx included: TLS fails closed). Such a failure spends
    /// no attempt: the request goes back unsent, due as before. A 4xx to STARTTLS also fails
    /// closed, but is temporary: retried later like any 4xx.
    static func isConfigurationError(_ step: Step, _ failure: Failure) -> Bool {
        step.isConnectionStage && failure == .permanent
    }

    static var cases: [(Step, Failure)] { Step.allCases.flatMap { step in Failure.allCases.map { (step, $0) } } }

    func run(_ script: String, settings: (Int) -> SMTPSettings, retry: RetryPolicy = RetryPolicy(),
             request: MailRequest = textRequest()) throws -> (RequestDetails, SenderReport, ServeOutcome?) {
        try sendOnce(script, settings: settings, retry: retry, request: request)
    }

    static func settings(for step: Step) -> (Int) -> SMTPSettings {
        { port in
            SMTPSettings(host: "127.0.0.1", port: port, security: step.usesTLS ? .starttls : .none,
                         caFile: TestEnvironment.cert("ca.pem"), username: step.usesTLS ? "alice" : nil,
                         secret: step.usesTLS ? .password("wonderland") : nil, heloName: "client.example.com", timeout: 5)
        }
    }

    @Test("each step × each failure ends in the right status with the reply recorded", arguments: cases)
    func failure(step: Step, failure: Failure) throws {
        let (details, report, outcome) = try run(Self.transcript(step, failure), settings: Self.settings(for: step))
        let expected = Self.expected(step, failure)
        #expect(details.status == expected, "\(step) \(failure): \(details.lastError ?? "-")")
        let configuration = Self.isConfigurationError(step, failure)
        #expect(details.attempts == (configuration ? 0 : 1))
        let error = try #require(details.lastError, "the error is recorded")
        if let code = failure.code { #expect(error.contains(code), "\(error)") }
        #expect(details.sentAt == nil)
        #expect(report.sent == 0)
        #expect(details.leaseOwner == nil, "the claim is let go")
        if configuration {
            #expect(details.nextAttemptAt == details.requestedAt, "due as before: nothing to wait for")
            #expect(report.configurationError != nil && report.heldBack == 1 && report.retried == 0, "\(report)")
        } else {
            if expected == .unsent { #expect(details.nextAttemptAt > details.requestedAt, "retried later, not at once") }
            #expect(report.configurationError == nil && report.heldBack == 0, "\(report)")
        }
        if failure != .drop, let deviation = outcome?.deviation { Issue.record("client left the script: \(deviation)") }
    }

    @Test("a transient failure on the last allowed attempt fails the request, saying so")
    func maxAttempts() throws {
        let (details, report, _) = try run(Self.transcript(.mail, .transient), settings: Self.settings(for: .mail),
                                           retry: RetryPolicy(maxAttempts: 1))
        #expect(details.status == .failed)
        #expect(details.lastError?.contains("gave up after 1 attempts") == true)
        #expect(details.lastError?.contains("451") == true)
        #expect(report.failed == 1)
    }

    /// bob accepted, nobody refused (550), the message taken for bob.
    static let partialRefusal = """
            220 mail.example.test ESMTP
            > EHLO client.example.com
            250 mail.example.test
            > MAIL FROM:<alice@example.com>
            250 2.1.0 Ok
            > RCPT TO:<bob@example.com>
            250 2.1.5 Ok
            > RCPT TO:<nobody@example.com>
            550 5.1.1 No such user
            > DATA
            354 go ahead
            > Subject: hello
            >
            > body
            > .
            250 2.0.0 queued
            > QUIT
            221 bye
            """

    @Test("partial RCPT refusal: sent to the accepted recipient, the refused one recorded")
    func partialRecipients() throws {
        let (details, report, outcome) = try run(Self.partialRefusal, settings: Self.settings(for: .mail),
                                                 request: textRequest(to: ["bob@example.com", "nobody@example.com"]))
        #expect(details.status == .sent)
        #expect(details.refused == "nobody@example.com: 550 5.1.1 No such user")
        #expect(report.sent == 1 && report.partlyRefused == 1, "\(report)")
        #expect(outcome?.followed == true, "\(String(describing: outcome))")
    }

    @Test("backoff doubles with bounded jitter and stops at the maximum")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelayMillis: 1000, maxDelayMillis: 5000, jitter: 0.2)
        #expect(policy.delay(afterAttempts: 1, random: 0.5) == 1000)
        #expect(policy.delay(afterAttempts: 2, random: 0.5) == 2000)
        #expect(policy.delay(afterAttempts: 3, random: 0.5) == 4000)
        #expect(policy.delay(afterAttempts: 4, random: 0.5) == 5000)
        #expect(policy.delay(afterAttempts: 1, random: 0) == 800)
        #expect(policy.delay(afterAttempts: 1, random: 0.999_999) == 1199)
        #expect(policy.allowsAnother(afterAttempts: 4))
        #expect(!policy.allowsAnother(afterAttempts: 5))
    }
}
