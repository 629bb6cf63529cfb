import Foundation

/// SQLiteWakeFile is how an enqueue into a SQLite queue wakes the daemons sending from it on the
/// same host: the file `PATH-wakeup` beside the database `PATH`, which a daemon creates and
/// watches with inotify, and which every enqueue opens for writing and closes after its commit
/// (inotify reports `IN_CLOSE_WRITE`; nothing is written, so the file stays empty).
///
/// A file rather than a loopback datagram: who may wake the daemon is who may write beside the
/// database (the file takes the database file's permissions), there is no port to publish, to
/// find or to have taken, every daemon on the file is woken, and nothing listens on the network.
/// inotify is Linux's; elsewhere, and on a network file system (whose remote writes inotify does
/// not see), the daemon polls as before.
public enum SQLiteWakeFile {
    /// The wake-up file of the database at `database`.
    public static func path(for database: String) -> String { database + "-wakeup" }

    /// Announces an enqueue to the daemons watching `database`'s wake-up file: opens it for
    /// writing and closes it. No file (no daemon has watched this database) or no permission:
    /// nothing happens, and the daemons find the request at their next poll.
    public static func touch(database: String) {
        guard !database.isEmpty else { return }  // in-memory database
        let fd = open(path(for: database), O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 { _ = close(fd) }
    }

    /// Creates the wake-up file when it is missing, with the database file's permissions.
    /// - Throws: `QueueError.database` naming the file.
    static func create(database: String) throws(QueueError) {
        var info = stat()
        let mode = stat(database, &info) == 0 ? mode_t(info.st_mode & 0o666) : 0o600
        let fd = open(path(for: database), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw QueueError(.database, field: path(for: database), reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        _ = close(fd)
    }
}

/// SQLiteWakeUpSource watches a SQLite queue's ``SQLiteWakeFile`` with inotify.
final class SQLiteWakeUpSource: WakeUpSource {
    private let database: String
    private var fd: Int32 = -1
    /// The watched file's inode: a file removed and made again is watched again.
    private var inode: ino_t = 0

    /// Watches the wake-up file of the database at `database` (a path).
    init(database: String) { self.database = database }

    var name: String { "inotify on \(SQLiteWakeFile.path(for: database))" }

    func open() throws(QueueError) -> Int32 {
        try SQLiteWakeFile.create(database: database)
        let path = SQLiteWakeFile.path(for: database)
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw failure("inotify_init1") }
        self.fd = fd
        guard inotify_add_watch(fd, path, UInt32(IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)) >= 0 else {
            throw failure("inotify_add_watch")
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure("stat") }
        inode = info.st_ino
        return fd
    }

    func drain() throws(QueueError) -> Bool {
        // Events are read in one bounded buffer at a time until none is left; their number per
        // read is bounded by the buffer, and many of them cost one wake-up.
        var buffer = [UInt8](repeating: 0, count: 4096)
        var announced = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { return announced }
                throw failure("read")
            }
            if count == 0 { return announced }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (mask, length) = buffer.withUnsafeBytes { raw -> (UInt32, UInt32) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.mask, event.len)
                }
                // An overflowed queue lost events: one of them may have been an enqueue.
                if mask & UInt32(IN_CLOSE_WRITE | IN_Q_OVERFLOW) != 0 { announced = true }
                if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                    throw QueueError(.database, field: SQLiteWakeFile.path(for: database), reason: "the file was removed or moved")
                }
                offset += MemoryLayout<inotify_event>.size + Int(length)
            }
        }
    }

    func check() throws(QueueError) {
        var info = stat()
        guard stat(SQLiteWakeFile.path(for: database), &info) == 0, info.st_ino == inode else {
            throw QueueError(.database, field: SQLiteWakeFile.path(for: database), reason: "the file was removed or replaced")
        }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    private func failure(_ call: String) -> QueueError {
        QueueError(.database, field: SQLiteWakeFile.path(for: database), reason: "\(call): \(String(cString: strerror(errno)))")
    }
}
