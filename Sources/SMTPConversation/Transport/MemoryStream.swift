#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MemoryStream is one end of an in-memory byte stream pair: what one end writes, the other
/// reads, with the blocking, deadline and end-of-stream behaviour of a socket. It lets
/// `SMTPConnection` run against a scripted server with no socket (package access: a seam for
/// tests, not an API).
package final class MemoryStream: ByteStream, @unchecked Sendable {
    private let inbound: MemoryPipe
    private let outbound: MemoryPipe

    private init(inbound: MemoryPipe, outbound: MemoryPipe) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Two connected ends: the client's and the server's.
    package static func pair() -> (client: MemoryStream, server: MemoryStream) {
        let toServer = MemoryPipe()
        let toClient = MemoryPipe()
        return (MemoryStream(inbound: toClient, outbound: toServer), MemoryStream(inbound: toServer, outbound: toClient))
    }

    /// Every byte this end has written, in order, whether or not the other end read it.
    package var written: [UInt8] { outbound.log.flatMap { $0 } }

    /// Each write this end made, in order: what went out together (a pipelined group is one).
    package var writes: [[UInt8]] { outbound.log }

    /// Reads what is available (up to `max` bytes), waiting until `deadline`; empty once the
    /// other end closed and everything was read.
    /// - Throws: `timeout` when nothing comes in time.
    package func read(max: Int, deadline: Deadline) throws(SMTPError) -> [UInt8] { try inbound.take(max: max, deadline: deadline) }

    /// Writes `bytes` for the other end at once (the buffer is unbounded; `deadline` is not needed).
    /// - Throws: `connectionClosed` when the other end has closed.
    package func write(_ bytes: [UInt8], deadline: Deadline) throws(SMTPError) { try outbound.put(bytes) }

    /// Closes this end: the other end reads the end of the stream, and its writes fail.
    package func close() {
        outbound.close()
        inbound.close()
    }
}

/// MemoryPipe is one direction of a `MemoryStream` pair: a buffer guarded by a mutex, with a
/// condition variable for readers waiting on it.
private final class MemoryPipe: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var buffer: [UInt8] = []
    private var history: [[UInt8]] = []
    private var isClosed = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    var log: [[UInt8]] { locked { history } }

    func put(_ bytes: [UInt8]) throws(SMTPError) {
        let closed = locked {
            if !isClosed {
                buffer += bytes
                history.append(bytes)
                pthread_cond_broadcast(condition)
            }
            return isClosed
        }
        if closed { throw SMTPError(.connectionClosed("the peer closed the connection while we were writing")) }
    }

    func take(max: Int, deadline: Deadline) throws(SMTPError) -> [UInt8] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while buffer.isEmpty && !isClosed {
            let milliseconds = deadline.pollMilliseconds
            if milliseconds == 0 { throw SMTPError(.timeout(deadline.seconds ?? 0)) }
            if milliseconds < 0 {
                pthread_cond_wait(condition, mutex)
            } else {
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                let nanoseconds = Int(now.tv_nsec) + Int(milliseconds % 1000) * 1_000_000
                var until = timespec(
                    tv_sec: now.tv_sec + Int(milliseconds / 1000) + nanoseconds / 1_000_000_000,
                    tv_nsec: nanoseconds % 1_000_000_000)
                pthread_cond_timedwait(condition, mutex, &until)
            }
        }
        let count = Swift.min(max, buffer.count)
        let bytes = Array(buffer.prefix(count))
        buffer.removeFirst(count)
        return bytes
    }

    func close() {
        locked {
            isClosed = true
            pthread_cond_broadcast(condition)
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
