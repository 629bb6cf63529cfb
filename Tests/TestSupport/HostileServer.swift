import Foundation

/// HostileServer is `hostile_smtp.py` (beside this file) running one of its modes: an SMTP
/// server on 127.0.0.1 that misbehaves on purpose (endless continuation lines, a one-byte-a-second
/// drip, Shift_JIS replies, a four-digit code). It serves one client and stops by itself.
public final class HostileServer: @unchecked Sendable {
    /// The mode, as the script names it: `endless`, `drip`, `sjis`, `code4`.
    public let mode: String
    /// The loopback port the script listens on.
    public let port: Int
    private let child: Child

    /// Starts the script and waits for it to print its port.
    public init(_ mode: String) throws {
        self.mode = mode
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("hostile_smtp.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, mode]
        let out = Pipe()
        process.standardOutput = out
        child = try Child(process)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        let fd = out.fileHandleForReading.fileDescriptor
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            child.stop()
            throw ChildTimeout(program: "hostile_smtp.py \(mode) (printed no port)", seconds: 0)
        }
        self.port = port
    }

    /// Stops the script (it also stops by itself after its limits).
    public func stop() { child.stop() }

    deinit { child.stop() }
}
