import Foundation
@testable import MailQueue
import Testing

/// The sender's rate limit, on an injected clock (no test waits for real), and its CLI flags.
@Suite("Rate limit")
struct RateLimitTests {
    /// A fake clock: `now` reads it; `sleep` records each wait and, when `advances`, moves the
    /// clock on by it (as a real wait would).
    final class FakeClock: @unchecked Sendable {
        private let lock = NSLock()
        private var time: Date
        private var recorded: [Double] = []
        let advances: Bool

        init(advances: Bool, start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
            self.advances = advances
            time = start
        }

        var now: Date { lock.withLock { time } }
        func advance(by seconds: Double) { lock.withLock { time = time.addingTimeInterval(seconds) } }
        var waits: [Double] { lock.withLock { recorded } }

        func limiter(perMinute: Int) -> RateLimiter {
            RateLimiter(perMinute: perMinute, now: { self.now }, sleep: { seconds, _ in
                self.lock.withLock {
                    self.recorded.append(seconds)
                    if self.advances { self.time = self.time.addingTimeInterval(seconds) }
                }
            })
        }
    }

    @Test("30 a minute: 31 acquisitions wait 2 s apart, 60 s in all")
    func spacing() {
        let clock = FakeClock(advances: true)
        let start = clock.now
        let limiter = clock.limiter(perMinute: 30)
        let stop = StopSignal()
        for _ in 0..<31 { limiter.acquire(stop: stop) }
        #expect(clock.waits.count == 30, "the first goes at once, every other one waits")
        #expect(clock.waits.allSatisfy { abs($0 - 2) < 1e-9 }, "\(clock.waits)")
        #expect(abs(clock.waits.reduce(0, +) - 60) < 1e-9)
        #expect(abs(clock.now.timeIntervalSince(start) - 60) < 1e-9)
    }

    @Test("30 a minute across two threads: the 31 slots are 2 s apart, the last 60 s after the first")
    func twoThreads() {
        // The clock stands still, so each wait is its slot's distance from the start.
        let clock = FakeClock(advances: false)
        let limiter = clock.limiter(perMinute: 30)
        let stop = StopSignal()
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for _ in 0..<(thread == 0 ? 16 : 15) { limiter.acquire(stop: stop) }
        }
        let slots = ([0] + clock.waits).sorted()
        #expect(slots.count == 31)
        let expected = (0...30).map { Double($0 * 2) }
        #expect(zip(slots, expected).allSatisfy { abs($0 - $1) < 1e-9 }, "\(slots)")
    }

    @Test("after an idle gap past the next slot there is no wait; spacing restarts from then")
    func idleGap() {
        let clock = FakeClock(advances: true)
        let limiter = clock.limiter(perMinute: 30)
        let stop = StopSignal()
        limiter.acquire(stop: stop)
        limiter.acquire(stop: stop)
        #expect(clock.waits == [2])
        clock.advance(by: 10)  // idle: the next slot (4 s) is long past
        limiter.acquire(stop: stop)
        #expect(clock.waits == [2], "no wait after the gap")
        limiter.acquire(stop: stop)
        #expect(clock.waits == [2, 2], "2 s after the acquisition that followed the gap")
    }

    @Test("with the real clock, a raised stop signal ends the wait at once")
    func stopEndsWait() {
        let limiter = RateLimiter(perMinute: 1)
        let stop = StopSignal()
        limiter.acquire(stop: stop)  // the first slot is free
        let done = DispatchSemaphore(value: 0)
        Thread { limiter.acquire(stop: stop); done.signal() }.start()  // would wait 60 s
        stop.stop()
        #expect(done.wait(timeout: .now() + 20) == .success, "acquire returned when the signal was raised")
    }

    @Test("Office365 preset: 587, STARTTLS, 3 connections, 30 a minute")
    func office365Preset() {
        let settings = SMTPSettings.office365(username: "a@example.com", secret: .password("x"))
        #expect(settings.host == "smtp.office365.com" && settings.port == 587)
        #expect(settings.security == .starttls)
        #expect(settings.connections == 3)
        #expect(settings.messagesPerMinute == 30)
    }

    @Test("mail-queue send --rate N delivers to aiosmtpd; a rate that is not a number is refused")
    func rateFlag() throws {
        guard let smtp = TestEnvironment.required("SMTP_AIOSMTPD"), let maildir = TestEnvironment.required("SMTP_AIOSMTPD_MAILDIR")
        else { return }
        let (store, path) = try makeSQLiteStore()
        let marker = "rate-" + UUID().uuidString
        let ids = try (0..<3).map { try store.enqueue(textRequest(subject: "\(marker) \($0)")) }
        let base = ["send", "--once", "--database", "sqlite:" + path, "--smtp", smtp, "--helo", "client.example.com", "--timeout", "10"]
        let refused = try runProcess(TestEnvironment.binary, base + ["--rate", "fast"], timeout: 60)
        #expect(refused.status != 0 && refused.stderr.contains("rate"), "\(refused.output)")
        #expect(try store.counts()[.unsent] == 3, "nothing sent when refused")
        // 6000 a minute: 10 ms apart, so the limiter is on without slowing the test.
        let result = try runProcess(TestEnvironment.binary, base + ["--rate", "6000", "--connections", "2"], timeout: 60)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("sent 3, failed 0"), "\(result.stdout)")
        for id in ids { #expect(try store.details(id).status == .sent) }
        #expect(Maildir.await(3, in: maildir, containing: marker).count == 3)
    }

    @Test("mail-queue send --profile office365 is accepted with a user and a password, refused without a user")
    func profileFlag() throws {
        let (_, path) = try makeSQLiteStore()
        let base = ["send", "--once", "--database", "sqlite:" + path, "--profile", "office365"]
        // An empty queue: nothing is due, so no connection to smtp.office365.com is made.
        let accepted = try runProcess(TestEnvironment.binary, base,
                                      environment: ["MAIL_QUEUE_SMTP_USER": "a@example.com", "MAIL_QUEUE_SMTP_PASSWORD": "x"], timeout: 60)
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(accepted.stdout.contains("sent 0,"), "\(accepted.stdout)")
        let refused = try runProcess("env", ["-u", "MAIL_QUEUE_SMTP_USER", "-u", "MAIL_QUEUE_SMTP_PASSWORD", TestEnvironment.binary] + base,
                                     timeout: 60)
        #expect(refused.status != 0 && refused.stderr.contains("office365"), "\(refused.output)")
        let unknown = try runProcess(TestEnvironment.binary, ["send", "--once", "--database", "sqlite:" + path, "--profile", "gmail"], timeout: 60)
        #expect(unknown.status != 0 && unknown.stderr.contains("office365"), "\(unknown.output)")
    }
}
