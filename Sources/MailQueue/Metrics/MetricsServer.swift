import Foundation
import SMTPConversation
import SMTPListener
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
    public var host: String { listener.host }
    /// The port bound (useful with port 0).
    public var port: Int { listener.port }
    private let listener: Listener
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
        guard let loopback = Self.isLoopback(numeric: host) else {
            throw QueueError(.configuration, field: field, reason: "'\(host)' is not a numeric address (e.g. 127.0.0.1:9464)")
        }
        if !allowRemote && !loopback {
            throw QueueError(.configuration, field: field, reason: "\(host) is not a loopback address; the metrics tell anyone "
                + "who connects how much mail is sent (give --metrics-allow-remote to serve them there anyway)")
        }
        do throws(SMTPError) {
            listener = try Listener(host: host, port: port)
        } catch {
            throw QueueError(.configuration, field: field, reason: error.message ?? error.description)
        }
        self.handler = handler
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "metrics-http"
        thread.start()
    }

    /// Stops accepting connections (within a quarter of a second).
    public func stop() {
        lock.withLock { closed = true }
    }

    /// True when numeric `host` is a loopback address; nil when it is not a numeric address.
    static func isLoopback(numeric host: String) -> Bool? {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let info = list else { return nil }
        defer { freeaddrinfo(list) }
        return isLoopback(info.pointee.ai_addr)
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
        while !lock.withLock({ closed }) {
            let client: Socket
            do throws(SMTPError) {
                // A short wait, so that `stop` is seen soon.
                client = try listener.accept(deadline: Deadline(seconds: 0.25))
            } catch {
                // A timeout; or EMFILE and the like: wait a little rather than spin.
                if error.code != .timeout { usleep(100_000) }
                continue
            }
            let admitted = lock.withLock { () -> Bool in
                guard active < Self.maxConnections else { return false }
                active += 1
                return true
            }
            guard admitted else {
                client.close()
                continue
            }
            let handoff = Handoff(client)
            let thread = Thread { [self] in
                serve(handoff.socket)
                handoff.socket.close()
                lock.withLock { active -= 1 }
            }
            thread.start()
        }
        listener.close()
    }

    /// Hands an accepted connection to the thread that answers it (one owner at a time).
    private final class Handoff: @unchecked Sendable {
        let socket: Socket
        init(_ socket: Socket) { self.socket = socket }
    }

    private func serve(_ client: Socket) {
        let deadline = Deadline(seconds: Self.requestTimeout)
        let answer: String
        switch Self.readHead(client, deadline: deadline) {
        case .tooLarge:
            answer = Self.response(431, "text/plain; charset=utf-8", "request head over \(Self.maxRequestBytes) bytes\n", head: false)
        case .timedOut, .closed:
            return
        case .head(let head):
            answer = Self.answer(head, handler: handler)
        }
        // A client that does not read is given up on after `requestTimeout`.
        try? client.write(Array(answer.utf8), deadline: Deadline(seconds: Self.requestTimeout))
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
    static func readHead(_ client: Socket, deadline: Deadline) -> Head {
        var bytes: [UInt8] = []
        while true {
            if let end = bytes.firstRange(of: [13, 10, 13, 10]) {
                return .head(String(decoding: bytes[..<end.lowerBound], as: UTF8.self))
            }
            if bytes.count > maxRequestBytes { return .tooLarge }
            let chunk: [UInt8]
            do throws(SMTPError) {
                chunk = try client.read(max: min(2048, maxRequestBytes + 4 - bytes.count), deadline: deadline)
            } catch {
                return error.code == .timeout ? .timedOut : .closed
            }
            if chunk.isEmpty { return .closed }
            bytes += chunk
        }
    }
}
