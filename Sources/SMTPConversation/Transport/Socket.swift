#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Socket is a non-blocking TCP socket whose reads and writes wait with poll() up to a deadline.
/// It is the only place that calls the socket API; TLS sits on top of its file descriptor.
package final class Socket {
    private(set) var fd: Int32
    /// The numeric address actually connected to, e.g. `127.0.0.1` or `::1`.
    package let remoteAddress: String

    package init(fd: Int32, remoteAddress: String) {
        self.fd = fd
        self.remoteAddress = remoteAddress
    }

    deinit { close() }

    /// Resolves `host` (IPv4 and IPv6) and connects to the first address that answers.
    /// - Throws: `network` naming each address tried with the system's reason (an address that
    ///   is `host` itself is not repeated: the caller's context names host and port);
    ///   `timeout` when the only address did not answer in time.
    package static func connect(host: String, port: Int, timeout: Double?) throws(SMTPError) -> Socket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw SMTPError(.network("cannot resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var failures: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let address = numericAddress(info.pointee.ai_addr, info.pointee.ai_addrlen)
            do throws(SMTPError) {
                return try connect(info: info.pointee, address: address, timeout: timeout)
            } catch {
                let reason = error.code == .network ? error.message ?? error.kind.text : error.kind.text
                failures.append(address == host ? reason : "\(address): \(reason)")
                if error.code == .timeout, failures.count == 1, info.pointee.ai_next == nil { throw error }
            }
        }
        throw SMTPError(.network("cannot connect: " + failures.joined(separator: "; ")))
    }

    private static func connect(info: addrinfo, address: String, timeout: Double?) throws(SMTPError) -> Socket {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard fd >= 0 else { throw SMTPError(.network("socket(): \(errnoText())")) }
        let socket = Socket(fd: fd, remoteAddress: address)
        try socket.makeNonBlocking()
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw SMTPError(.network(errnoText())) }
            let deadline = Deadline(seconds: timeout)
            try socket.wait(for: Int16(POLLOUT), deadline: deadline, what: "connect")
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw SMTPError(.network(String(cString: strerror(error)))) }
        }
        return socket
    }

    package func makeNonBlocking() throws(SMTPError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw SMTPError(.network("fcntl(O_NONBLOCK): \(errnoText())"))
        }
    }

    /// Waits until the socket is readable/writable; throws `timeout` at the deadline.
    package func wait(for events: Int16, deadline: Deadline, what: String) throws(SMTPError) {
        while true {
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&pfd, 1, deadline.pollMilliseconds)
            if result > 0 { return }
            if result == 0 { throw SMTPError(.timeout(deadline.seconds ?? 0)) }
            if errno != EINTR { throw SMTPError(.network("poll() during \(what): \(errnoText())")) }
        }
    }

    /// Reads what is available (up to `max` bytes), waiting up to the deadline; empty at end of stream.
    package func read(max: Int, deadline: Deadline) throws(SMTPError) -> [UInt8] {
        while true {
            var received = 0
            // Read straight into the result: no zero-filled buffer, no second copy.
            let bytes = [UInt8](unsafeUninitializedCapacity: max) { buffer, initialized in
                received = Glibc.recv(fd, buffer.baseAddress, max, 0)
                initialized = Swift.max(received, 0)
            }
            if received >= 0 { return bytes }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLIN), deadline: deadline, what: "read")
            case ECONNRESET: return []
            default: throw SMTPError(.network("read: \(errnoText())"))
            }
        }
    }

    /// The first bytes waiting to be read (up to `max`), left in place; empty at end of stream.
    /// Throws `timeout` when nothing comes before the deadline.
    package func peek(max: Int, deadline: Deadline) throws(SMTPError) -> [UInt8] {
        try wait(for: Int16(POLLIN), deadline: deadline, what: "read")
        while true {
            var received = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: max) { buffer, initialized in
                received = Glibc.recv(fd, buffer.baseAddress, max, Int32(MSG_PEEK))
                initialized = Swift.max(received, 0)
            }
            if received >= 0 { return bytes }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int16(POLLIN), deadline: deadline, what: "read")
                continue
            }
            return []
        }
    }

    /// Writes every byte, waiting up to the deadline whenever the socket buffer is full.
    package func write(_ bytes: [UInt8], deadline: Deadline) throws(SMTPError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: try wait(for: Int16(POLLOUT), deadline: deadline, what: "write")
            case EPIPE, ECONNRESET: throw SMTPError(.connectionClosed("the peer closed the connection while we were writing"))
            default: throw SMTPError(.network("write: \(errnoText())"))
            }
        }
    }

    package func shutdownWrite() { if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) } }

    package func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    package static func numericAddress(_ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> String {
        guard let address else { return "?" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { return "?" }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

package func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
