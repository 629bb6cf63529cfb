import Foundation

/// CaptureFile is the capture `convert` reads (and, whole, through `text(of:)`, the script or
/// transcript `run`, `serve` and `replay` read): a file, or standard input for `-`.
///
/// It is read a chunk at a time (a log of any size in bounded memory). A file that cannot be
/// read is an error naming the path and why, in the system's words ("No such file or
/// directory", "Permission denied", "Is a directory").
struct CaptureFile {
    /// Why the capture could not be read: the path and the system's reason.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let descriptor: Int32
    private let path: String

    /// Opens `path` (`-`: standard input).
    init(path: String) throws(Failure) {
        self.path = path
        if path == "-" {
            descriptor = STDIN_FILENO
            return
        }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.failure(path) }
    }

    /// Calls `chunk` with each piece of the capture, up to 1 MiB at a time, until its end;
    /// closes the file.
    func read(_ chunk: ([UInt8]) -> Void) throws(Failure) {
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure(path)
            }
            if count == 0 { return }
            chunk(Array(buffer[0..<count]))
        }
    }

    /// The whole of `path` as UTF-8 text (a script, a transcript); a file that cannot be read,
    /// or is not UTF-8, is a `Failure` naming the path and why.
    static func text(of path: String) throws(Failure) -> String {
        var bytes: [UInt8] = []
        try CaptureFile(path: path).read { bytes += $0 }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let valid = String(decoding: bytes, as: UTF8.self).prefix { $0 != "\u{FFFD}" }
            let line = valid.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            throw Failure(description: "\(path):\(line): not UTF-8 text (save it as UTF-8)")
        }
        return text
    }

    private static func failure(_ path: String) -> Failure {
        Failure(description: "cannot read \(path == "-" ? "standard input" : path): \(String(cString: strerror(errno)))")
    }
}
