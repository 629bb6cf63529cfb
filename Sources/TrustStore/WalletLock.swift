#if canImport(Glibc)
import Glibc
#endif

/// WalletLock is an exclusive `flock` on `DIR/.lock`, held while a change is read, made and
/// written, so two renewals at once (threads or processes) run one after the other instead of
/// one overwriting the other's work. The kernel releases it when the process dies.
final class WalletLock {
    private let fd: Int32

    /// Blocks until the wallet in `directory` is ours; calls `waiting` first when another
    /// writer holds it.
    init(directory: String, waiting: (() -> Void)? = nil) throws(WalletError) {
        let path = directory + "/.lock"
        // Not following a symbolic link: one planted in the directory would otherwise make us
        // create (or lock) a file of the planter's choosing.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw WalletError(.insecure, "the lock file \(path) is a symbolic link; remove it (`rm \(Shell.quoted(path))`) and check who else can write to \(directory)")
            }
            throw WalletError(.io, "cannot open the lock file \(path): \(FileSystem.errnoText())")
        }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            self.fd = fd
            return
        }
        if errno == EWOULDBLOCK { waiting?() }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let reason = FileSystem.errnoText()
            close(fd)
            throw WalletError(.io, "cannot lock \(path): \(reason)")
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
