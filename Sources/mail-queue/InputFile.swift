import Foundation
import MailQueue

/// InputFile reads a file named on the command line (`--jsonl`, `--attach`, `--body-file`,
/// `--password-file`). A file that cannot be read is a usage error (exit 2) on one line that
/// names the option, the path and why: no such file, permission denied, is a directory, is not
/// a regular file.
///
/// Nothing is read past a limit: the size is looked at (fstat) before the first byte is read,
/// and reading stops one byte past the limit in case the file grew meanwhile. A device, FIFO or
/// socket is refused before it is read (`/dev/zero` would never end); only a password file may
/// be a pipe (`--password-file <(pass show smtp)`), and it is read up to its limit.
enum InputFile {
    /// What a file may hold and what it is checked against.
    struct Limit {
        /// The most bytes it may have.
        var bytes: Int
        /// The error a larger file is, with the size found.
        var tooLarge: (Int) -> QueueError
        /// True when it may be a pipe (FIFO) rather than a regular file.
        var pipeAllowed = false
    }

    /// The bytes of the file at `path`, given by `option` (`--attach`, or `send.conf:4: password-file`).
    /// - Throws: `ExitStatus.configuration` (exit 2) after the message is written to stderr, or
    ///   exit 1 for a file over `limit` (the same refusal as the limit's own check).
    static func bytes(_ path: String, option: String, limit: Limit) throws -> Data {
        try guarded { () throws(QueueError) in try read(path, option: option, limit: limit) }
    }

    /// The UTF-8 text of the file at `path`, given by `option`.
    /// - Throws: as `bytes`; also when the file is not UTF-8 text.
    static func text(_ path: String, option: String, limit: Limit) throws -> String {
        try guarded { () throws(QueueError) in
            let data = try read(path, option: option, limit: limit)
            guard let text = String(data: data, encoding: .utf8) else {
                throw QueueError(.configuration, field: "\(option) \(path)", reason: "not UTF-8 text")
            }
            return text
        }
    }

    /// Calls `line` with each line of the file at `path` (without its LF) and its number, reading
    /// a chunk at a time: the file may be any size, a line at most `maxLine` bytes.
    /// - Throws: exit 2 for a file that cannot be read, is not a regular file, or has a longer line.
    static func lines(_ path: String, option: String, maxLine: Int, _ line: (Int, ArraySlice<UInt8>) -> Void) throws {
        try guarded { () throws(QueueError) in
            let descriptor = try openRegular(path, option: option, pipeAllowed: false)
            defer { close(descriptor) }
            func tooLong(_ number: Int) -> QueueError {
                QueueError(.configuration, field: "\(option) \(path):\(number)",
                           reason: "the line is longer than \(maxLine) bytes (the most one request may take)")
            }
            var pending: [UInt8] = []
            var number = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try readSome(descriptor, into: &chunk, path: path, option: option)
                var start = pending.count
                pending += chunk[0..<count]
                var lineStart = 0
                // Only the bytes just read can hold a new LF.
                while let end = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    number += 1
                    if end - lineStart > maxLine { throw tooLong(number) }
                    line(number, pending[lineStart..<end])
                    lineStart = end + 1
                    start = lineStart
                }
                pending.removeSubrange(0..<lineStart)
                if pending.count > maxLine { throw tooLong(number + 1) }
                if count == 0 { break }
            }
            if !pending.isEmpty { line(number + 1, pending[...]) }
        }
    }

    /// Opens and reads `path` with open(2), so that the reason is errno's; at most `limit.bytes`.
    static func read(_ path: String, option: String, limit: Limit) throws(QueueError) -> Data {
        let descriptor = try openRegular(path, option: option, pipeAllowed: limit.pipeAllowed)
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) > limit.bytes {
            throw limit.tooLarge(Int(info.st_size))
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit.bytes + 1, 1 << 20))
        while true {
            let count = try readSome(descriptor, into: &chunk, path: path, option: option)
            if count == 0 { break }
            result += chunk[0..<count]
            // One byte more than allowed is enough to know: the file grew, or it is a pipe.
            if result.count > limit.bytes { throw limit.tooLarge(result.count) }
        }
        return Data(result)
    }

    /// Opens `path` for reading and checks it is a regular file (or, when allowed, a pipe).
    private static func openRegular(_ path: String, option: String, pipeAllowed: Bool) throws(QueueError) -> Int32 {
        func failure(_ reason: String) -> QueueError { QueueError(.configuration, field: "\(option) \(path)", reason: reason) }
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one before fstat
        // could refuse it.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (pipeAllowed ? 0 : O_NONBLOCK))
        guard descriptor >= 0 else { throw failure(reason(errno)) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let why = reason(errno)
            close(descriptor)
            throw failure(why)
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFREG || (pipeAllowed && type == S_IFIFO) { return descriptor }
        close(descriptor)
        switch type {
        case S_IFDIR: throw failure("is a directory")
        case S_IFCHR, S_IFBLK: throw failure("is a device, not a regular file (it is never read)")
        case S_IFIFO: throw failure("is a pipe, not a regular file (it is never read)")
        case S_IFSOCK: throw failure("is a socket, not a regular file (it is never read)")
        default: throw failure("is not a regular file (it is never read)")
        }
    }

    /// One read(2) into `buffer`; 0 at the end of the file.
    private static func readSome(_ descriptor: Int32, into buffer: inout [UInt8], path: String, option: String) throws(QueueError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw QueueError(.configuration, field: "\(option) \(path)", reason: "cannot be read: \(reason(errno))")
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

extension InputFile.Limit {
    /// An attachment: at most what is left of the request's attachment limit.
    static func attachment(remaining: Int, limits: QueueLimits) -> Self {
        Self(bytes: remaining) { size in
            QueueError(.attachmentsTooLarge, field: "attachments",
                       reason: "the attachments total at least \(limits.maxAttachmentBytes - remaining + size) bytes; "
                           + "at most \(limits.maxAttachmentBytes) are allowed")
        }
    }

    /// A body (or a template's body): the body limit.
    static func body(_ limits: QueueLimits) -> Self {
        Self(bytes: limits.maxBodyBytes) { size in
            QueueError(.bodyTooLarge, field: "body", reason: "the body is \(size) bytes; at most \(limits.maxBodyBytes) are allowed")
        }
    }

    /// A password file: one line; a pipe is fine.
    static func password(option: String, path: String) -> Self {
        Self(bytes: 4096, tooLarge: { size in
            QueueError(.configuration, field: "\(option) \(path)", reason: "holds \(size) bytes or more; a password file holds one line of at most 4096")
        }, pipeAllowed: true)
    }
}

extension InputFile.Limit {
    /// A PEM certificate chain or key (`relay --tls-cert/--tls-key`): 1 MiB is far more than any.
    static func pem(option: String, path: String) -> Self {
        Self(bytes: 1 << 20) { size in
            QueueError(.configuration, field: "\(option) \(path)", reason: "is \(size) bytes; a PEM file here is at most 1 MiB")
        }
    }
}
