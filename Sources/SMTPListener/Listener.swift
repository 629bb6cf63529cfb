import SMTPConversation
import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Listener is a listening TCP socket: the transcript server's and `SMTPServer`'s (the relay's).
package final class Listener {
    private(set) var fd: Int32
    /// The port actually bound (useful with port 0).
    package let port: Int
    package let host: String

    /// Binds and listens on `host:port` (port 0 picks a free port).
    package init(host: String, port: Int) throws(SMTPError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            throw SMTPError(.network("cannot listen on \(host): not a numeric address"))
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SMTPError(.network("socket(): \(errnoText())")) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let message = errnoText()
            Glibc.close(fd)
            throw SMTPError(.network("cannot listen on \(host) port \(port): \(message)"))
        }
        guard listen(fd, 64) == 0 else {
            let message = errnoText()
            Glibc.close(fd)
            throw SMTPError(.network("listen(): \(message)"))
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        let boundPort = withUnsafePointer(to: &storage) { pointer -> Int in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        self.fd = fd
        self.port = boundPort
        self.host = host
    }

    deinit { close() }

    /// Accepts one connection, waiting up to the deadline.
    package func accept(deadline: Deadline) throws(SMTPError) -> Socket {
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, deadline.pollMilliseconds)
            if ready == 0 { throw SMTPError(.timeout(deadline.seconds ?? 0)) }
            if ready < 0 {
                if errno == EINTR { continue }
                throw SMTPError(.network("poll(): \(errnoText())"))
            }
            guard fd >= 0 else { throw SMTPError(.connectionClosed("the listener was closed")) }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                // Close-on-exec from the start: a child spawned meanwhile must not keep the connection open.
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { csystem_accept_cloexec(fd, $0, &length) }
            }
            if client < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                throw SMTPError(.network("accept(): \(errnoText())"))
            }
            let address = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Socket.numericAddress($0, length) }
            }
            let socket = Socket(fd: client, remoteAddress: address)
            try socket.makeNonBlocking()
            return socket
        }
    }

    package func close() {
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
            fd = -1
        }
    }
}
