import ArgumentParser
import Foundation
import Logging
import MailQueue

/// DaemonService is what `send` does as a service around its sender: the log format, SIGTERM
/// and SIGINT (stop after the message in flight), SIGHUP (reload the settings file and re-read
/// the wallet), and systemd's notifications (`READY=1`, `RELOADING=1`, `STOPPING=1`, watchdog
/// pings).
///
/// Each run of a sender is a generation with its own stop signal. A reload builds the next
/// sender from the files first: a settings file or wallet that does not load leaves the running
/// sender alone and logs why; one that loads stops the running sender after the message in
/// flight, and the next generation starts with the new settings.
final class DaemonService: @unchecked Sendable {
    /// Builds a sender from the settings file as it is now, with the given stop signal.
    typealias Prepare = @Sendable (StopSignal) throws -> QueueSender

    /// The daemon's logger (JSON lines with `--log-format json`).
    let logger: Logger
    /// systemd's notification socket, when systemd gave one.
    let notifier = SystemdNotifier()
    private let json: Bool
    private let lock = NSLock()
    private var current = StopSignal()
    private var pending: (sender: QueueSender, stop: StopSignal)?
    private var terminating = false
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "mail-queue.signals")

    /// Sets the log format up (once per process: swift-log's bootstrap).
    init(logFormat: String) {
        json = logFormat == "json"
        if json { LoggingSystem.bootstrap { label in JSONLogHandler(label: label) } }
        logger = Logger(label: "mail-queue.sender")
    }

    /// The sender's logger, its events carrying `sender_pattern` when the sender serves one
    /// pattern (`pattern` is a request's own, on the lines about one request).
    func logger(pattern: String?) -> Logger {
        var logger = self.logger
        if let pattern { logger[metadataKey: "sender_pattern"] = "\(pattern)" }
        return logger
    }

    /// The stop signal of the first generation.
    var firstStop: StopSignal { lock.withLock { current } }

    /// Writes a warning: a JSON line, or `mail-queue: warning: …` on stderr.
    func warn(_ text: String) {
        if json { logger.warning("\(text)") } else { Console.error("mail-queue: warning: \(text)") }
    }

    /// Writes an error: a JSON line, or `mail-queue: …` on stderr.
    func error(_ text: String) {
        if json { logger.error("\(text)") } else { Console.error("mail-queue: \(text)") }
    }

    /// Handles SIGTERM and SIGINT, and SIGHUP with `reload` (a daemon's).
    func handleSignals(reload prepare: Prepare?) {
        var numbers = [SIGTERM, SIGINT]
        if prepare != nil { numbers.append(SIGHUP) }
        for number in numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                if number == SIGHUP, let prepare { reload(prepare) } else { terminate() }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops the sender after the message in flight, for good.
    func terminate() {
        notifier.notify("STOPPING=1")
        let stops = lock.withLock { () -> [StopSignal] in
            terminating = true
            return [current] + (pending.map { [$0.stop] } ?? [])
        }
        for stop in stops { stop.stop() }
    }

    /// Builds the next sender from the files; when it loads, stops the running one so that the
    /// next generation starts.
    func reload(_ prepare: Prepare) {
        notifier.notify("RELOADING=1")
        let stop = StopSignal()
        let sender: QueueSender
        do {
            sender = try prepare(stop)
        } catch {
            logger.error("reload refused; the settings in use are kept", metadata: ["reason": "\(Self.reason(error))"])
            notifier.notify("READY=1")
            return
        }
        let (running, replaced) = lock.withLock { () -> (StopSignal?, StopSignal?) in
            guard !terminating else { return (nil, stop) }
            // A second HUP before the first took effect: the newer files win, the older
            // generation never runs (its stop signal ends what it started, e.g. a listener).
            let replaced = pending?.stop
            pending = (sender, stop)
            return (current, replaced)
        }
        replaced?.stop()
        guard let running else { return }
        logger.info("settings reloaded; the sender restarts with them after the message in flight")
        running.stop()
    }

    /// The sender of the next generation after a reload, or nil when the daemon is to end.
    func nextGeneration() -> QueueSender? {
        let next = lock.withLock { () -> QueueSender? in
            guard !terminating, let next = pending else { return nil }
            pending = nil
            current = next.stop
            return next.sender
        }
        if next != nil { notifier.notify("READY=1") }
        return next
    }

    /// The message of an error from loading settings (a `ValidationError`'s, a `QueueError`'s).
    static func reason(_ error: any Error) -> String {
        if let error = error as? ValidationError { return error.message }
        if error is ExitCode { return "see the message above" }
        return "\(error)"
    }
}
