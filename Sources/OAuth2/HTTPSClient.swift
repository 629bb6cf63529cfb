import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HTTPSClient sends one form-encoded `POST` over TLS (OpenSSL) and returns the response.
///
/// Why not URLSession: on Linux it is libcurl with the system CA store, and trusting another CA
/// (a sovereign cloud's, a proxy's, the test PKI's) would take a process-wide environment
/// variable. This client takes the CA file as a value, verifies the certificate chain and the
/// host name (or IP address) with OpenSSL, enforces TLS 1.2 or later and a deadline on every
/// step, and never follows redirects (a token request must not be replayed elsewhere).
/// Plain `http:` is refused: the request carries a client secret or a refresh token.
public struct HTTPSClient: Sendable {
    /// A PEM file of CAs to trust instead of the system's; nil uses OpenSSL's default paths.
    public var caFile: String?
    /// Seconds for the whole request (connect, handshake, write, read).
    public var timeout: Double
    /// The largest response accepted, in bytes.
    public var maxResponseBytes = 1 << 20

    /// Creates a client.
    public init(caFile: String? = nil, timeout: Double = 30) {
        self.caFile = caFile
        self.timeout = timeout
    }

    /// An HTTP response: status code, headers (lower-case names) and body.
    public struct Response: Sendable {
        /// The status code, e.g. 200.
        public var status: Int
        /// Header fields with lower-cased names.
        public var headers: [String: String]
        /// The body (de-chunked).
        public var body: [UInt8]
    }

    /// POSTs `form` (already encoded) to `url`.
    /// - Throws: `OAuth2Error` `.network` (DNS, connect, read, timeout), `.tls` (handshake,
    ///   untrusted certificate, wrong name), `.configuration` (not an https URL),
    ///   `.malformedResponse` (not HTTP).
    public func post(_ url: String, form: String) throws(OAuth2Error) -> Response {
        guard let parsed = URLComponents(string: url), parsed.scheme?.lowercased() == "https", let host = parsed.host, !host.isEmpty else {
            throw OAuth2Error(.configuration, "the token endpoint must be an https:// URL, not '\(url)'")
        }
        let port = parsed.port ?? 443
        let path = (parsed.percentEncodedPath.isEmpty ? "/" : parsed.percentEncodedPath)
            + (parsed.percentEncodedQuery.map { "?" + $0 } ?? "")
        let deadline = Date().timeIntervalSince1970 + timeout
        let socket = try Self.connect(host: host, port: port, deadline: deadline)
        defer { close(socket) }
        let connection = try TLSClientConnection(socket: socket, host: host, caFile: caFile, deadline: deadline)
        let hostHeader = parsed.port == nil ? host : "\(host):\(port)"
        let body = Array(form.utf8)
        let head = "POST \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: smtp-conversation-oauth2\r\n"
            + "Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try connection.write(Array(head.utf8) + body, deadline: deadline)
        var buffer: [UInt8] = []
        while true {
            if let response = try HTTPResponseParser.parse(buffer, complete: false) { return response }
            let chunk = try connection.read(deadline: deadline)
            if chunk.isEmpty { break }
            buffer += chunk
            guard buffer.count <= maxResponseBytes else {
                throw OAuth2Error(.malformedResponse, "the response from \(host) is larger than \(maxResponseBytes) bytes")
            }
        }
        guard let response = try HTTPResponseParser.parse(buffer, complete: true) else {
            throw OAuth2Error(.network, "\(host):\(port) closed the connection before a complete HTTP response", transient: true)
        }
        return response
    }

    /// A connected TCP socket (blocking mode restored), trying each address in turn.
    static func connect(host: String, port: Int, deadline: Double) throws(OAuth2Error) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw OAuth2Error(.network, "cannot resolve \(host): \(String(cString: gai_strerror(status)))", transient: true)
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
                lastError = String(cString: strerror(errno))
                close(fd)
                continue
            }
            do throws(OAuth2Error) {
                try waitFor(fd, events: Int16(POLLOUT), deadline: deadline, what: "connecting to \(host):\(port)")
            } catch {
                close(fd)
                throw error
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError != 0 {
                lastError = String(cString: strerror(soError))
                close(fd)
                continue
            }
            return fd
        }
        throw OAuth2Error(.network, "cannot connect to \(host):\(port): \(lastError)", transient: true)
    }

    /// Waits until `fd` is ready for `events` or the deadline passes.
    static func waitFor(_ fd: Int32, events: Int16, deadline: Double, what: String) throws(OAuth2Error) {
        while true {
            let left = deadline - Date().timeIntervalSince1970
            guard left > 0 else { throw OAuth2Error(.network, "timeout \(what)", transient: true) }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&entry, 1, Int32(min(left * 1000, Double(Int32.max)).rounded(.up)))
            if result > 0 { return }
            if result < 0 && errno != EINTR {
                throw OAuth2Error(.network, "\(what): \(String(cString: strerror(errno)))", transient: true)
            }
        }
    }
}
