import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// TLSClientConnection is the TLS client side of one HTTPS request over a non-blocking socket:
/// chain and host name verified (a token endpoint we cannot authenticate would receive our
/// client secret), TLS 1.2 or later, SNI for names.
final class TLSClientConnection {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let socket: Int32

    init(socket: Int32, host: String, caFile: String?, deadline: Double) throws(OAuth2Error) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw OAuth2Error(.tls, "SSL_CTX_new: \(Self.errors())") }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw OAuth2Error(.tls, "SSL_new: \(Self.errors())")
        }
        self.context = context
        self.ssl = ssl
        self.socket = socket
        _ = shim_SSL_CTX_set_min_proto_version(context, shim_TLS1_2_VERSION())
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw OAuth2Error(.configuration, "cannot read the CA file \(caFile): \(Self.errors())")
            }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        SSL_set_fd(ssl, socket)
        let isAddress = host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
        if !isAddress { shim_SSL_set_tlsext_host_name(ssl, host) }
        let param = SSL_get0_param(ssl)
        X509_VERIFY_PARAM_set_hostflags(param, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        guard (isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, host) : X509_VERIFY_PARAM_set1_host(param, host, 0)) == 1 else {
            throw OAuth2Error(.tls, "cannot check the name \(host): \(Self.errors())")
        }
        ERR_clear_error()
        while true {
            let result = SSL_connect(ssl)
            if result == 1 { break }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ: try HTTPSClient.waitFor(socket, events: Int16(POLLIN), deadline: deadline, what: "in the TLS handshake with \(host)")
            case SSL_ERROR_WANT_WRITE: try HTTPSClient.waitFor(socket, events: Int16(POLLOUT), deadline: deadline, what: "in the TLS handshake with \(host)")
            default:
                let verify = SSL_get_verify_result(ssl)
                if verify != X509_V_OK {
                    let reason = String(cString: X509_verify_cert_error_string(verify))
                    throw OAuth2Error(.tls, "the token endpoint \(host) is not trusted: \(reason)"
                        + " (give the CA with the authority's CA file, or check the URL)")
                }
                throw OAuth2Error(.tls, "TLS handshake with \(host) failed: \(Self.errors())", transient: true)
            }
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    func write(_ bytes: [UInt8], deadline: Double) throws(OAuth2Error) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let written = bytes[offset...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            if written > 0 {
                offset += Int(written)
                continue
            }
            switch SSL_get_error(ssl, written) {
            case SSL_ERROR_WANT_READ: try HTTPSClient.waitFor(socket, events: Int16(POLLIN), deadline: deadline, what: "sending the request")
            case SSL_ERROR_WANT_WRITE: try HTTPSClient.waitFor(socket, events: Int16(POLLOUT), deadline: deadline, what: "sending the request")
            default: throw OAuth2Error(.network, "sending the request failed: \(Self.errors())", transient: true)
            }
        }
    }

    /// Up to 16 KiB; empty at the end of the stream.
    func read(deadline: Double) throws(OAuth2Error) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            ERR_clear_error()
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 { return Array(buffer.prefix(Int(count))) }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ: try HTTPSClient.waitFor(socket, events: Int16(POLLIN), deadline: deadline, what: "waiting for the response")
            case SSL_ERROR_WANT_WRITE: try HTTPSClient.waitFor(socket, events: Int16(POLLOUT), deadline: deadline, what: "waiting for the response")
            case SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL: return []
            default:
                // Many servers close without close_notify; the HTTP framing tells whether it matters.
                let detail = Self.errors()
                if detail.contains("unexpected eof") { return [] }
                throw OAuth2Error(.network, "reading the response failed: \(detail)", transient: true)
            }
        }
    }

    static func errors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            messages.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "unknown OpenSSL error" : messages.joined(separator: "; ")
    }
}
