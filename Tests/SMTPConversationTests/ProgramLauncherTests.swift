import Foundation
@testable import SMTPConversation
import TestSupport
import Testing

/// ProgramLauncher (and TestSupport's Child on top of it): a child gets exactly the three
/// standard descriptors whatever we hold open, its output ends when it exits, and a program
/// that cannot be started is an error naming it, with thousands of descriptors open (where
/// Foundation's Process.run() on Linux crashes now and then).
@Suite("ProgramLauncher (posix_spawn)")
struct ProgramLauncherTests {
    /// Runs `/bin/sh -c script` and returns its exit status and standard output.
    static func run(_ script: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let output = Pipe()
        process.standardOutput = output
        let child = try Child(process)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return (try child.wait(timeout: 30), String(decoding: data, as: UTF8.self))
    }

    @Test("with 3,000 inheritable descriptors open, 100 children each see only 0, 1 and 2, and their output ends with them")
    func manyDescriptors() throws {
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        for _ in 0..<1_500 {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { break }  // without O_CLOEXEC: inherited unless closed
            held += ends
        }
        #expect(held.count == 3_000)
        for _ in 0..<100 {
            let (status, output) = try Self.run("ls /proc/self/fd | wc -l")
            // 0, 1, 2 and the directory ls reads.
            #expect(status == 0 && Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) == 4, "\(status) \(output)")
        }
    }

    @Test("FileHandle.nullDevice (no descriptor of its own) is /dev/null for the child")
    func nullDevice() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "readlink /proc/self/fd/0; readlink /proc/self/fd/2 >&0 2>/dev/null; echo ok"]
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let child = try Child(process)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        #expect(try child.wait(timeout: 30) == 0)
        #expect(String(decoding: data, as: UTF8.self) == "/dev/null\nok\n")
    }

    @Test("the child's signal mask is empty and its exit status and signal come back")
    func statusAndSignals() throws {
        let (mask, output) = try Self.run("grep SigBlk /proc/self/status; exit 3")
        #expect(mask == 3 && output.contains("0000000000000000"), "\(output)")
        #expect(try Self.run("kill -TERM $$").0 == SIGTERM)
    }

    @Test("a program that cannot be started is an error naming it")
    func missingProgram() {
        let error = #expect(throws: ProgramLauncher.LaunchError.self) {
            _ = try ProgramLauncher.launch(path: "/nonexistent/program", arguments: [], environment: [:], input: 0, output: 1, error: 2)
        }
        #expect(error?.description == "cannot start /nonexistent/program: No such file or directory")
    }
}
