import Foundation

/// Child is a program a test started, whose end is awaited through Foundation's termination
/// handler (set before it starts) and a semaphore, always with a time limit.
///
/// `Process.waitUntilExit` spins the calling thread's run loop and, on Linux, off the main
/// thread and under load (the tests run in parallel), can miss the exit and block for ever:
/// one such wait hung a CI run until its 90-minute limit. No test waits that way.
public final class Child: @unchecked Sendable {
    /// The running process (its pipes and identifier).
    public let process: Process
    private let ended = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var exited = false

    /// Starts `process`. Its standard input is `/dev/null` unless the caller set one: a test
    /// run's own input is never handed to a child.
    public init(_ process: Process) throws {
        self.process = process
        if process.standardInput == nil { process.standardInput = FileHandle.nullDevice }
        process.terminationHandler = { [ended] _ in ended.signal() }
        try process.run()
    }

    /// The process identifier.
    public var pid: Int32 { process.processIdentifier }

    /// Whether it has not yet been seen to exit.
    public var isRunning: Bool { lock.withLock { !exited } && process.isRunning }

    /// Waits up to `timeout` seconds for the exit and returns the status. Past the limit the
    /// child is killed (SIGKILL) and `ChildTimeout` is thrown naming the program.
    @discardableResult
    public func wait(timeout: Double = 300) throws -> Int32 {
        if lock.withLock({ exited }) { return process.terminationStatus }
        if ended.wait(timeout: .now() + timeout) == .timedOut {
            kill(pid, SIGKILL)
            _ = ended.wait(timeout: .now() + 30)
            lock.withLock { exited = true }
            throw ChildTimeout(program: description, seconds: timeout)
        }
        lock.withLock { exited = true }
        return process.terminationStatus
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit; after `grace` seconds the
    /// child is killed (SIGKILL). A child started from a test thread may inherit a signal mask
    /// that blocks SIGTERM, and would otherwise keep the test waiting out a long limit.
    public func stop(_ signal: Int32 = SIGTERM, grace: Double = 5) {
        if lock.withLock({ exited }) { return }
        kill(pid, signal)
        if ended.wait(timeout: .now() + grace) == .success {
            ended.signal()
            _ = try? wait(timeout: 1)
            return
        }
        _ = try? wait(timeout: 0)
    }

    /// The program and its arguments, for messages.
    public var description: String {
        ([process.executableURL?.lastPathComponent ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
    }
}

/// ChildTimeout: a program a test started did not exit in time and was killed.
public struct ChildTimeout: Error, CustomStringConvertible {
    /// The program and its arguments.
    public let program: String
    /// The limit that passed.
    public let seconds: Double
    /// What happened, for the test report.
    public var description: String { "\(program) did not exit within \(Int(seconds)) s and was killed" }
}
