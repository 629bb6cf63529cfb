import Foundation
import Logging
import SMTPConversation

/// WakeUpSource is where a daemon's wake-ups come from: a descriptor to poll and a way to read
/// it (PostgreSQL's `LISTEN` connection, an inotify watch).
protocol WakeUpSource: AnyObject {
    /// What it listens to, for logs (no password).
    var name: String { get }
    /// Connects (or connects again) and returns the descriptor to poll.
    /// - Throws: `QueueError` when it cannot listen now.
    func open() throws(QueueError) -> Int32
    /// Reads what is readable on the descriptor.
    /// - Returns: true when an enqueue was announced.
    /// - Throws: `QueueError` when the source is lost (it is then closed and opened again).
    func drain() throws(QueueError) -> Bool
    /// Checks the source is still there after a poll interval with nothing read.
    /// - Throws: `QueueError` when it is lost.
    func check() throws(QueueError)
    /// Closes what `open` opened.
    func close()
}

/// WakeUpListener runs a ``WakeUpSource`` on a thread of its own and wakes the workers through a
/// ``WakeUp`` when an enqueue is announced. It waits in poll() with the poll interval as timeout
/// (then checks that the source is alive). When the source is lost (the database restarts), the
/// workers fall back to polling and the listener opens it again, every 0.2 s doubling up to 5 s
/// (or the poll interval when shorter), and wakes the workers once it listens again, for what was
/// enqueued meanwhile. A raised ``StopSignal`` ends it.
public final class WakeUpListener: @unchecked Sendable {
    private let source: any WakeUpSource
    private let wakeUp: WakeUp
    private let stop: StopSignal
    private let pollSeconds: Double
    private let logger: Logger
    /// The socket pair that ends a poll when `stop` is raised: [read, write].
    private let stopPipe: [Int32]

    /// Starts listening on `source`'s thread.
    init(source: any WakeUpSource, wakeUp: WakeUp, stop: StopSignal, pollSeconds: Double, logger: Logger) throws(QueueError) {
        // A socket pair, not a pipe: the thread may close its end first (it saw the stop raised
        // before this action ran), and a write to a pipe with no reader raises SIGPIPE, which
        // ended the daemon; send(MSG_NOSIGNAL) only fails.
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw QueueError(.configuration, field: "wake-up", reason: "socketpair: \(String(cString: strerror(errno)))")
        }
        self.source = source
        self.wakeUp = wakeUp
        self.stop = stop
        self.pollSeconds = pollSeconds
        self.logger = logger
        self.stopPipe = fds
        let writeEnd = fds[1]
        // The write end belongs to this action alone (it runs once); the thread closes the read end.
        stop.whenStopped {
            var byte: UInt8 = 1
            _ = send(writeEnd, &byte, 1, Int32(MSG_NOSIGNAL))
            _ = Glibc.close(writeEnd)
        }
        let thread = Thread { [self] in run() }
        thread.name = "mail-queue wake-up"
        thread.start()
    }

    private func run() {
        defer {
            source.close()
            wakeUp.setListening(false)
            _ = Glibc.close(stopPipe[0])
        }
        var retry = 0.2
        var listenedBefore = false
        var saidPolling = false
        let maxRetry = min(5, pollSeconds)
        while !stop.isStopped {
            let fd: Int32
            do {
                fd = try source.open()
            } catch {
                source.close()
                if !saidPolling {
                    logger.warning("wake-up: cannot listen; polling every \(Self.seconds(pollSeconds)) until it can", metadata: [
                        "source": "\(source.name)", "error": "\(TerminalText.escaped(error.reason))"])
                    saidPolling = true
                }
                if pause(retry) { return }
                retry = min(retry * 2, maxRetry)
                continue
            }
            retry = 0.2
            saidPolling = false
            wakeUp.setListening(true)
            logger.info(listenedBefore ? "wake-up: listening again" : "wake-up: listening", metadata: ["source": "\(source.name)"])
            listenedBefore = true
            // What was enqueued while nothing listened.
            wakeUp.wake()
            do throws(QueueError) {
                while true {
                    switch pollOnce(fd) {
                    case .stopped: return
                    case .readable: if try source.drain() { wakeUp.wake() }
                    case .timeout: try source.check()
                    }
                }
            } catch {
                wakeUp.setListening(false)
                source.close()
                logger.warning("wake-up: lost; polling every \(Self.seconds(pollSeconds)) until it listens again", metadata: [
                    "source": "\(source.name)", "error": "\(TerminalText.escaped(error.reason))"])
                saidPolling = true
                if pause(retry) { return }
            }
        }
    }

    private enum Polled { case readable, timeout, stopped }

    /// Waits for `fd` (or the stop pipe) up to the poll interval.
    private func pollOnce(_ fd: Int32) -> Polled {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
        let timeout = Int32(min(pollSeconds * 1000, Double(Int32.max)))
        var result: Int32
        repeat { result = poll(&fds, 2, timeout) } while result < 0 && errno == EINTR
        if fds[1].revents != 0 || stop.isStopped { return .stopped }
        return result > 0 && fds[0].revents != 0 ? .readable : .timeout
    }

    /// Waits `seconds` unless stopped first.
    /// - Returns: true when stopped.
    private func pause(_ seconds: Double) -> Bool {
        var fds = [pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(seconds * 1000))
        return stop.isStopped
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
