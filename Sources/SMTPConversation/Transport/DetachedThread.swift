#if canImport(Glibc)
import Glibc
#endif

/// DetachedThread runs a closure on a new POSIX thread of its own: blocking socket work (one
/// transcript client) that must not wait for a thread pool to notice that its threads block.
package enum DetachedThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread; what it captures is handed over to that thread
    /// (the caller no longer touches it).
    /// - Throws: `network` when the system refuses another thread (the caller refuses the client).
    package static func start(_ body: @escaping () -> Void) throws(SMTPError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard status == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SMTPError(.network("cannot start a thread: \(String(cString: strerror(status)))"))
        }
        pthread_detach(thread)
    }
}
