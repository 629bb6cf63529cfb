#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSystem

/// ProgramLauncher starts a program with posix_spawn and waits for its end, for the toolkit's
/// child processes (a token command, a test's peer).
///
/// Foundation's `Process.run()` on Linux (swift-corelibs-foundation up to Swift 6.3) lists
/// `/proc/self/fd` to close the child's descriptors and copies each directory entry's whole
/// 256-byte name field: with a few thousand descriptors open, an entry at the end of readdir's
/// buffer makes that copy read past it, and the process crashes ("Bad pointer dereference",
/// seen in full test runs). Here the child closes them with closefrom, lists nothing, starts
/// with an empty signal mask, and leads its own process group, as Foundation's child does.
package enum ProgramLauncher {
    /// Starts `path` with `arguments` (not counting the program's own name) and exactly
    /// `environment`; `input`, `output` and `error` become its descriptors 0, 1 and 2.
    /// - Returns: the child's process id.
    /// - Throws: `LaunchError` with the system's reason (no such program, not executable, …).
    package static func launch(path: String, arguments: [String], environment: [String: String],
                               input: Int32, output: Int32, error: Int32, directory: String? = nil) throws(LaunchError) -> pid_t {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: Int32 = 0
        let result = csystem_spawn(&pid, path, argv, envp, input, output, error, directory)
        guard result == 0 else { throw LaunchError(path: path, reason: String(cString: strerror(result))) }
        return pid
    }

    /// Waits for `pid` to end (blocking the calling thread).
    /// - Returns: its exit status, or the number of the signal that ended it (as Foundation's
    ///   `terminationStatus`); -1 when it cannot be waited for (not our child).
    package static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let low = status & 0x7f
        return low == 0 ? (status >> 8) & 0xff : low
    }

    /// LaunchError: a program could not be started.
    package struct LaunchError: Error, CustomStringConvertible {
        /// The program.
        package let path: String
        /// The system's reason.
        package let reason: String
        /// Creates the error.
        package init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        /// "cannot start PATH: REASON".
        package var description: String { "cannot start \(path): \(reason)" }
    }
}
