import Foundation
import MailQueue

/// InputFile reads a file named on the command line (`--jsonl`, `--attach`, `--body-file`,
/// `--password-file`). A file that cannot be read is a usage error (exit 2) on one line that
/// names the option, the path and why: no such file, permission denied, is a directory.
enum InputFile {
    /// The bytes of the file at `path`, given by `option` (`--attach`, or `send.conf:4: password-file`).
    /// - Throws: `ExitStatus.configuration` after the message is written to stderr.
    static func bytes(_ path: String, option: String) throws -> Data {
        try guarded { () throws(QueueError) in try read(path, option: option) }
    }

    /// The UTF-8 text of the file at `path`, given by `option`.
    /// - Throws: `ExitStatus.configuration` after the message is written to stderr; also
    ///   when the file is not UTF-8 text.
    static func text(_ path: String, option: String) throws -> String {
        try guarded { () throws(QueueError) in
            let data = try read(path, option: option)
            guard let text = String(data: data, encoding: .utf8) else {
                throw QueueError(.configuration, field: "\(option) \(path)", reason: "not UTF-8 text")
            }
            return text
        }
    }

    /// Opens and reads `path` with open(2), so that the reason is errno's, read once.
    static func read(_ path: String, option: String) throws(QueueError) -> Data {
        func failure(_ reason: String) -> QueueError { QueueError(.configuration, field: "\(option) \(path)", reason: reason) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(reason(errno)) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { throw failure("is a directory") }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw failure("cannot be read: \(error.localizedDescription)")
        }
    }

    /// errno in words, the common ones as people say them.
    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory"
        case ENOTDIR: return "a part of the path is not a directory"
        default: return String(cString: strerror(code))
        }
    }
}
