import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SystemdNotifier speaks systemd's notification protocol (`sd_notify(3)`) without linking
/// libsystemd: one datagram per state change (`READY=1`, `RELOADING=1`, `STOPPING=1`,
/// `WATCHDOG=1`) to the `AF_UNIX` socket named by `NOTIFY_SOCKET`. A name starting with `@` is an
/// abstract socket (its first byte becomes NUL, as systemd does).
///
/// With no `NOTIFY_SOCKET` (not run by systemd with `Type=notify`) every call does nothing.
/// Sending never blocks the daemon: the socket is non-blocking and a lost datagram is only
/// a missed notification.
public final class SystemdNotifier: @unchecked Sendable {
    /// The socket address given, as `NOTIFY_SOCKET` spells it.
    public let socketName: String?
    /// The watchdog interval from `WATCHDOG_USEC` (seconds), when it is meant for this process.
    public let watchdogInterval: Double?
    private let fd: Int32
    private let lock = NSLock()
    private var watchdog: Thread?
    private let watchdogStop = StopSignal()

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    ///
    /// A `WATCHDOG_PID` naming another process means the watchdog is not ours (a child that
    /// inherited the environment), as `sd_watchdog_enabled(3)` reads it.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let name = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        // Only paths and abstract names: systemd also allows vsock addresses, which we do not use.
        if let name, name.hasPrefix("/") || name.hasPrefix("@"), name.utf8.count < 108 {
            socketName = name
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        } else {
            socketName = nil
            fd = -1
        }
        var interval: Double?
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 {
            let pid = environment["WATCHDOG_PID"].flatMap { Int32($0) }
            if pid == nil || pid == getpid() { interval = Double(usec) / 1_000_000 }
        }
        watchdogInterval = interval
    }

    deinit {
        stopWatchdog()
        if fd >= 0 { close(fd) }
    }

    /// True when a notification socket was given.
    public var isEnabled: Bool { fd >= 0 }

    /// Sends `state` (e.g. `READY=1`, or several `KEY=VALUE` lines).
    /// - Returns: true when the datagram was sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard fd >= 0, let name = socketName else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let length = withUnsafeMutableBytes(of: &address.sun_path) { path -> Int in
            let count = min(bytes.count, path.count - 1)
            for index in 0..<count { path[index] = bytes[index] }
            return count
        }
        // An abstract name's length counts exactly its bytes; a path's includes its NUL.
        let size = MemoryLayout<sa_family_t>.size + length + (bytes.first == 0 ? 0 : 1)
        let payload = Array(state.utf8)
        let sent = lock.withLock {
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, payload, payload.count, Int32(MSG_NOSIGNAL), $0, socklen_t(size))
                }
            }
        }
        return sent == payload.count
    }

    /// Starts `WATCHDOG=1` pings at half the watchdog interval (systemd's advice), each sent only
    /// while `healthy()` says the daemon's loop is alive: a stuck loop stops the pings, and
    /// systemd restarts the service. Does nothing without a watchdog interval.
    public func startWatchdog(healthy: @escaping @Sendable () -> Bool) {
        guard isEnabled, let interval = watchdogInterval else { return }
        let every = interval / 2
        let stop = watchdogStop
        let thread = Thread { [weak self] in
            while !stop.wait(seconds: every) {
                guard let self else { return }
                if healthy() { self.notify("WATCHDOG=1") }
            }
        }
        thread.name = "systemd-watchdog"
        lock.withLock { watchdog = thread }
        thread.start()
    }

    /// Stops the watchdog pings.
    public func stopWatchdog() {
        watchdogStop.stop()
    }
}
