#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MessageFile reads a message from a file in chunks while it is sent (`MessageContent.file`).
final class MessageFile {
    let path: String
    private var fd: Int32

    /// Opens the file for reading.
    /// - Throws: `invalidArgument` naming the file and why it cannot be read.
    init(path: String) throws(SMTPError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SMTPError(.invalidArgument(field: "message file", reason: "cannot open \(path): \(errnoText())"))
        }
    }

    deinit { if fd >= 0 { _ = close(fd) } }

    /// The next bytes of the file, at most `max`; empty at its end.
    /// - Throws: `invalidArgument` naming the file when it cannot be read.
    func read(max: Int) throws(SMTPError) -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: max) { buffer, initialized in
            var count = 0
            repeat {
                count = Glibc.read(fd, buffer.baseAddress, max)
            } while count < 0 && errno == EINTR
            if count < 0 { failure = errno }
            initialized = Swift.max(count, 0)
        }
        if failure != 0 {
            throw SMTPError(.invalidArgument(field: "message file", reason: "cannot read \(path): \(errnoText(failure))"))
        }
        return bytes
    }
}
