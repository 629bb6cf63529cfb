import CSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FileSystem is the handful of POSIX calls the wallet needs, each failure a `WalletError`
/// naming the path and the system's reason.
enum FileSystem {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The file's permission bits.
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    /// The whole file.
    static func read(_ path: String) throws(WalletError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let kind: WalletError.Kind = errno == ENOENT ? .notFound : .io
            throw WalletError(kind, "cannot read \(path): \(errnoText())")
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WalletError(.io, "cannot read \(path): \(errnoText())")
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    /// The names in a directory, without `.` and `..`.
    static func list(_ path: String) throws(WalletError) -> [String] {
        guard let directory = opendir(path) else { throw WalletError(.io, "cannot list \(path): \(errnoText())") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func makeDirectory(_ path: String) throws(WalletError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if !isDirectory(prefix), mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw WalletError(.io, "cannot create the directory \(prefix): \(errnoText())")
            }
        }
    }

    /// Writes `bytes` to a new temporary file next to `path` with `mode`, flushed to disk;
    /// returns the temporary file's path. The caller renames it into place.
    static func writeTemporary(_ bytes: [UInt8], next path: String, mode: mode_t) throws(WalletError) -> String {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { csystem_mkstemp_cloexec($0.baseAddress!) }
        guard fd >= 0 else { throw WalletError(.io, "cannot create a temporary file next to \(path): \(errnoText())") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temporary) }
        }
        guard fchmod(fd, mode) == 0 else { throw WalletError(.io, "cannot set the mode of \(temporary): \(errnoText())") }
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WalletError(.io, "cannot write \(temporary): \(errnoText())")
            }
            offset += count
        }
        guard fsync(fd) == 0 else { throw WalletError(.io, "cannot flush \(temporary) to disk: \(errnoText())") }
        ok = true
        return temporary
    }

    static func rename(_ from: String, to: String) throws(WalletError) {
        guard Glibc.rename(from, to) == 0 else { throw WalletError(.io, "cannot rename \(from) to \(to): \(errnoText())") }
    }

    /// Makes `backup` a copy of `path` with mode 0600 (a new file renamed into place, so it never
    /// keeps looser permissions the current file may have had); nothing when `path` is missing.
    static func backup(_ path: String, to backup: String) throws(WalletError) {
        guard exists(path) else { return }
        let copy = try writeTemporary(try read(path), next: backup, mode: 0o600)
        do throws(WalletError) { try rename(copy, to: backup) } catch {
            remove(copy)
            throw error
        }
    }

    /// The status of `path` itself (a symbolic link is not followed); nil when it does not exist.
    static func linkStatus(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// Sets the permission bits of `path`.
    static func setMode(_ path: String, _ mode: mode_t) throws(WalletError) {
        guard chmod(path, mode) == 0 else { throw WalletError(.io, "cannot change the mode of \(path): \(errnoText())") }
    }

    /// Flushes a directory's entries (the renames in it) to disk.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func remove(_ path: String) { unlink(path) }
}
