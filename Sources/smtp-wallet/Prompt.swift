import Foundation

/// Prompt reads a secret from the terminal with echo off.
enum Prompt {
    static func secret(_ question: String) throws -> String {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIError("the wallet needs a password and there is no terminal to ask it on; use --password-env NAME or --password-file FILE")
        }
        defer { close(fd) }
        let prompt = Array(question.utf8)
        _ = prompt.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let saved = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        defer { saved.deallocate() }
        tcgetattr(fd, saved)
        var quiet = saved.pointee
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(fd, TCSAFLUSH, &quiet)
        let bytes = readLine(fd)
        tcsetattr(fd, TCSAFLUSH, saved)
        _ = [UInt8(0x0A)].withUnsafeBytes { write(fd, $0.baseAddress, 1) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func readLine(_ fd: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { buffer.deallocate() }
        while read(fd, buffer, 1) == 1 {
            if buffer.pointee == 0x0A { break }
            bytes.append(buffer.pointee)
        }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }
}
