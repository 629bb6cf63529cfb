import Foundation

/// PrivateFile writes the files smtp-repl makes (transcripts from `--record`, `save transcript`
/// and `convert -o`) readable by their owner only (0600): they name hosts and addresses, and
/// people share them on purpose, not by default. The text goes to a new file created 0600 next
/// to `path`, which then replaces `path`, so no reader ever sees a wider mode or half a file.
enum PrivateFile {
    /// Writes `text` to `path` with mode 0600.
    /// - Throws: `PrivateFile.Failure` naming the path and the system's reason.
    static func write(_ text: String, to path: String) throws(Failure) {
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw Failure(path: path, reason: reason)
            }
            bytes = bytes.dropFirst(written)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(path: path, reason: reason)
        }
    }

    /// Failure says which file could not be written and why.
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot write \(path): \(reason)" }
    }
}
