import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// MetricsServer answers `GET /metrics` and `GET /healthz` over HTTP/1.x on a loopback address
/// (`send --daemon --metrics 127.0.0.1:9464`).
///
/// Everything a client sends is bounded: the request head (request line and headers) at
/// `maxRequestBytes`, its arrival at `requestTimeout` from the connection's accept, and the
/// connections answered at once at `maxConnections` (more are closed unanswered). A request
/// body is never read. Each answer closes its connection.
///
/// The metrics carry no secrets, but they tell anyone who can connect how much mail is sent:
/// a non-loopback address is refused unless the caller allows it (`--metrics-allow-remote`).
public final class MetricsServer: @unchecked Sendable {
    /// An answer: status code, content type, body.
    public typealias Answer = (status: Int, contentType: String, body: String)
    /// Answers one path (`/metrics`, `/healthz`); nil for an unknown path (404).
    public typealias Handler = @Sendable (_ path: String) -> Answer?

    /// The largest request head read (request line and headers), in bytes.
    public static let maxRequestBytes = 8192
    /// How long a client has to send its whole request head, in seconds.
    public static let requestTimeout = 5.0
    /// The most connections answered at once.
    public static let maxConnections = 8

    /// The address bound.
    public let host: String
    /// The port bound (useful with port 0).
    public let port: Int
    private let fd: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var active = 0
    private var closed = false

    /// Binds `host:port` and starts answering on a thread of its own.
    /// - Parameters:
    ///   - allowRemote: bind a non-loopback address too.
    /// - Throws: `QueueError.configuration` naming the address: not numeric, not loopback
    ///   (without `allowRemote`), or in use.
    public init(host: String, port: Int, allowRemote: Bool = false, handler: @escaping Handler) throws(QueueError) {
        let field = "--metrics"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            throw QueueError(.configuration, field: field, reason: "'\(host)' is not a numeric address (e.g. 127.0.0.1:9464)")
        }
        defer { freeaddrinfo(list) }
        if !allowRemote && !Self.isLoopback(info.pointee.ai_addr) {
            throw QueueError(.configuration, field: field, reason: "\(host) is not a loopback address; the metrics tell anyone "
                + "who connects how much mail is sent (give --metrics-allow-remote to serve them there anyway)")
        }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw QueueError(.configuration, field: field, reason: "socket(): \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw QueueError(.configuration, field: field, reason: "cannot listen on \(host) port \(port): \(message)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        self.port = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        self.host = host
        self.fd = fd
        self.handler = handler
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "metrics-http"
        thread.start()
    }

    /// Stops accepting connections.
    public func stop() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    /// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z.
    static func isLoopback(_ address: UnsafeMutablePointer<sockaddr>) -> Bool {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24 == 127
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                let bytes = withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                if bytes == Array(repeating: 0, count: 15) + [1] { return true }
                return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
            }
        default:
            return false
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if lock.withLock({ closed }) { close(fd); return }
                // EMFILE and the like: wait a little rather than spin.
                usleep(100_000)
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let admitted = lock.withLock { () -> Bool in
                guard active < Self.maxConnections else { return false }
                active += 1
                return true
            }
            guard admitted else {
                close(client)
                continue
            }
            let thread = Thread { [self] in
                serve(client)
                close(client)
                lock.withLock { active -= 1 }
            }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        let flags = fcntl(client, F_GETFL)
        _ = fcntl(client, F_SETFL, flags | O_NONBLOCK)
        switch Self.readHead(client, deadline: Date(timeIntervalSinceNow: Self.requestTimeout)) {
        case .tooLarge:
            write(client, Self.response(431, "text/plain; charset=utf-8",
                                        "request head over \(Self.maxRequestBytes) bytes\n", head: false))
        case .timedOut, .closed:
            return
        case .head(let head):
            let answer = Self.answer(head, handler: handler)
            write(client, answer)
        }
    }

    /// The response to a request head.
    static func answer(_ head: String, handler: Handler) -> String {
        let requestLine = head.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let words = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, words[2].hasPrefix("HTTP/1."), words[1].hasPrefix("/") else {
            return response(400, "text/plain; charset=utf-8", "expected 'GET /metrics HTTP/1.1'\n", head: false)
        }
        let method = String(words[0])
        guard method == "GET" || method == "HEAD" else {
            return response(405, "text/plain; charset=utf-8", "only GET and HEAD\n", head: false, allow: true)
        }
        let path = String(words[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        guard let answer = handler(path) else {
            return response(404, "text/plain; charset=utf-8", "not found: /metrics and /healthz are served\n", head: method == "HEAD")
        }
        return response(answer.status, answer.contentType, answer.body, head: method == "HEAD")
    }

    static func response(_ status: Int, _ type: String, _ body: String, head: Bool, allow: Bool = false) -> String {
        let reasons = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                       431: "Request Header Fields Too Large", 503: "Service Unavailable"]
        var text = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\nContent-Type: \(type)\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\nCache-Control: no-store\r\n"
        if allow { text += "Allow: GET, HEAD\r\n" }
        return text + "\r\n" + (head ? "" : body)
    }

    enum Head { case head(String), tooLarge, timedOut, closed }

    /// Reads up to the blank line that ends a request head, within the limits.
    static func readHead(_ fd: Int32, deadline: Date) -> Head {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            if let end = bytes.firstRange(of: [13, 10, 13, 10]) {
                return .head(String(decoding: bytes[..<end.lowerBound], as: UTF8.self))
            }
            if bytes.count > maxRequestBytes { return .tooLarge }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return .timedOut }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(left * 1000 + 1, 60_000)))
            if ready < 0 && errno != EINTR { return .closed }
            if ready <= 0 { continue }
            let count = read(fd, &buffer, min(buffer.count, maxRequestBytes + 4 - bytes.count))
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            if count <= 0 { return .closed }
            bytes += buffer[0..<count]
        }
    }

    /// Writes `text` whole, giving up after `requestTimeout` (a client that does not read).
    private func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        let deadline = Date(timeIntervalSinceNow: Self.requestTimeout)
        while offset < bytes.count, deadline.timeIntervalSinceNow > 0 {
            let count = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 { offset += count; continue }
            if count < 0 && errno != EAGAIN && errno != EINTR { return }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pfd, 1, 1000)
        }
    }
}
