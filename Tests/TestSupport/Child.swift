import Foundation
import SMTPConversation

/// Child is a program a test started, described by a `Process` (its program, arguments,
/// environment, directory and standard input, output and error) but started with
/// `ProgramLauncher` (posix_spawn), whose end a thread awaits, and every wait has a time limit.
///
/// Foundation's `Process.run()` on Linux crashes now and then when the test process holds many
/// descriptors (see `ProgramLauncher`), and `Process.waitUntilExit` spins the calling thread's
/// run loop and, off the main thread and under load, can miss the exit and block for ever (one
/// such wait hung a CI run until its 90-minute limit). No test starts or waits that way.
public final class Child: @unchecked Sendable {
    /// The program's description: its executable, arguments, environment and standard streams
    /// (`Pipe`s for the test to read and write). It is never run itself.
    public let process: Process
    /// The process identifier.
    public let pid: Int32
    private let ended = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var exited = false
    private var status: Int32 = 0

    /// Starts `process`. Its standard input is `/dev/null` unless the caller set one: a test
    /// run's own input is never handed to a child. The parent's copies of the child's ends of
    /// `Pipe`s are closed once it runs, so reading its output ends when it exits.
    public init(_ process: Process) throws {
        self.process = process
        if process.standardInput == nil { process.standardInput = FileHandle.nullDevice }
        guard let path = process.executableURL?.path else { throw ProgramLauncher.LaunchError(path: "?", reason: "no executable") }
        // FileHandle.nullDevice has no descriptor (-1): /dev/null stands in for it.
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        func usable(_ fd: Int32?, _ inherited: Int32) -> Int32 { fd.map { $0 < 0 ? null : $0 } ?? inherited }
        let input = usable(Self.descriptor(process.standardInput, childReads: true), 0)
        let output = usable(Self.descriptor(process.standardOutput, childReads: false), 1)
        let error = usable(Self.descriptor(process.standardError, childReads: false), 2)
        pid = try ProgramLauncher.launch(path: path, arguments: process.arguments ?? [],
                                         environment: process.environment ?? ProcessInfo.processInfo.environment,
                                         input: input, output: output, error: error,
                                         directory: process.currentDirectoryURL?.path)
        for (stream, childReads) in [(process.standardInput, true), (process.standardOutput, false), (process.standardError, false)] {
            guard let pipe = stream as? Pipe else { continue }
            try? (childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting).close()
        }
        let pid = self.pid
        Thread.detachNewThread { [self] in
            let status = ProgramLauncher.waitForExit(pid)
            lock.withLock {
                self.status = status
                exited = true
            }
            ended.signal()
        }
    }

    /// The descriptor a standard stream gives the child: a `FileHandle`'s, or the child's end
    /// of a `Pipe`; nil to inherit ours.
    private static func descriptor(_ stream: Any?, childReads: Bool) -> Int32? {
        if let pipe = stream as? Pipe { return (childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor }
        return (stream as? FileHandle)?.fileDescriptor
    }

    /// Whether it has not yet been seen to exit.
    public var isRunning: Bool { lock.withLock { !exited } }

    /// The exit status (or the number of the signal that ended it); nil while it runs.
    public var terminationStatus: Int32? { lock.withLock { exited ? status : nil } }

    /// Waits up to `timeout` seconds for the exit and returns the status. Past the limit the
    /// child is killed (SIGKILL) and `ChildTimeout` is thrown naming the program.
    @discardableResult
    public func wait(timeout: Double = 300) throws -> Int32 {
        if let status = terminationStatus { return status }
        if ended.wait(timeout: .now() + timeout) == .timedOut {
            kill(pid, SIGKILL)
            _ = ended.wait(timeout: .now() + 30)
            throw ChildTimeout(program: description, seconds: timeout)
        }
        ended.signal()
        return terminationStatus ?? -1
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
