import CSystem
import Foundation

/// StoppableChild is a process started with posix_spawn so a test can see it stop (SIGSTOP), continue
/// it, kill it and read its stderr line by line: Foundation's Process hides stops.
final class StoppableChild {
    let pid: pid_t
    private let stderr: FileHandle
    private var buffered: [UInt8] = []

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        var pipe: [Int32] = [0, 0]
        // Close-on-exec: a program another test starts meanwhile must not hold the write end
        // (this child's stderr would then never reach end of file). dup2 clears it for fd 2.
        guard csystem_pipe_cloexec(&pipe) == 0 else { throw POSIXError(.EIO) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(pipe[1])
        guard status == 0 else {
            close(pipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO)
        }
        self.pid = pid
        stderr = FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true)
    }

    /// Blocks until the child stops (SIGSTOP) or exits; true when it stopped.
    func waitUntilStopped() -> Bool {
        var status: Int32 = 0
        while waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR {}
        return status & 0xff == 0x7f
    }

    /// Blocks until a stderr line containing `text` arrives; false at end of file.
    func waitForStderr(containing text: String) -> Bool {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                if line.contains(text) { return true }
                continue
            }
            let data = stderr.availableData
            if data.isEmpty { return false }
            buffered += data
        }
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Blocks until the child exits; its exit status, or 128+signal.
    @discardableResult
    func waitForExit() -> Int32 {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result < 0 && errno == EINTR { continue }
            break
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
