import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// TLSStream is TLS (OpenSSL) over a connected socket: made by a client handshake (implicit TLS
/// or after STARTTLS, on the same socket) or a server accept (the transcript server).
package final class TLSStream: ByteStream {
    package let socket: Socket
    private let context: TLSContext
    private let ssl: OpaquePointer
    private var isClosed = false

    private init(socket: Socket, context: TLSContext) throws(SMTPError) {
        guard let ssl = SSL_new(context.pointer) else { throw SMTPError(.tls("SSL_new: \(openSSLErrors())")) }
        self.socket = socket
        self.context = context
        self.ssl = ssl
        SSL_set_fd(ssl, socket.fd)
    }

    deinit {
        close()
        SSL_free(ssl)
    }

    /// Performs the client handshake, verifying the server as `configuration` says.
    /// - Parameter host: the name connected to; `configuration.secureHost` overrides it for the check.
    package static func connect(
        socket: Socket, host: String, configuration: TLSConfiguration, deadline: Deadline
    ) throws(SMTPError) -> TLSStream {
        let stream = try TLSStream(socket: socket, context: try TLSContext.client(configuration))
        let name = configuration.secureHost ?? host
        let isAddress = isIPAddress(name)
        if !isAddress { shim_SSL_set_tlsext_host_name(stream.ssl, name) }
        if configuration.verifyPeer {
            let param = SSL_get0_param(stream.ssl)
            X509_VERIFY_PARAM_set_hostflags(param, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            let ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, name) : X509_VERIFY_PARAM_set1_host(param, name, 0)
            guard ok == 1 else { throw SMTPError(.tls("cannot check the name \(name): \(openSSLErrors())")) }
        }
        try stream.handshake(deadline: deadline, expectedName: name, isClient: true)
        return stream
    }

    /// Performs the server handshake with `context`.
    package static func accept(socket: Socket, context: TLSContext, deadline: Deadline) throws(SMTPError) -> TLSStream {
        let stream = try TLSStream(socket: socket, context: context)
        try stream.handshake(deadline: deadline, expectedName: nil, isClient: false)
        return stream
    }

    private func handshake(deadline: Deadline, expectedName: String?, isClient: Bool) throws(SMTPError) {
        ERR_clear_error()
        while true {
            let result = isClient ? SSL_connect(ssl) : SSL_accept(ssl)
            if result == 1 { return }
            let error = SSL_get_error(ssl, result)
            switch error {
            case SSL_ERROR_WANT_READ: try socket.wait(for: Int16(POLLIN), deadline: deadline, what: "TLS handshake")
            case SSL_ERROR_WANT_WRITE: try socket.wait(for: Int16(POLLOUT), deadline: deadline, what: "TLS handshake")
            default:
                if isClient, let name = expectedName {
                    let verify = SSL_get_verify_result(ssl)
                    if verify != X509_V_OK { throw SMTPError(.tls(verificationFailure(Int32(verify), name: name))) }
                }
                let detail = openSSLErrors()
                if error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN, detail == "unknown OpenSSL error" {
                    throw SMTPError(.tls("the peer closed the connection during the TLS handshake"))
                }
                throw SMTPError(.tls("handshake failed: \(detail)"))
            }
        }
    }

    /// The negotiated protocol, e.g. `TLSv1.3`.
    package var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The negotiated cipher suite.
    package var cipher: String {
        guard let cipher = SSL_get_current_cipher(ssl) else { return "" }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }

    /// The chain the peer presented, leaf first.
    package var peerChain: [CertificateInfo] { Self.chain(of: ssl) }

    package static func chain(of ssl: OpaquePointer) -> [CertificateInfo] {
        guard let stack = SSL_get_peer_cert_chain(ssl) else { return [] }
        return (0..<shim_sk_X509_num(stack)).compactMap { index in
            shim_sk_X509_value(stack, index).map { CertificateInfo(x509: $0) }
        }
    }

    package func read(max: Int, deadline: Deadline) throws(SMTPError) -> [UInt8] {
        while true {
            ERR_clear_error()
            var count: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: max) { buffer, initialized in
                count = SSL_read(ssl, buffer.baseAddress, Int32(max))
                initialized = Int(Swift.max(count, 0))
            }
            if count > 0 { return bytes }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ: try socket.wait(for: Int16(POLLIN), deadline: deadline, what: "TLS read")
            case SSL_ERROR_WANT_WRITE: try socket.wait(for: Int16(POLLOUT), deadline: deadline, what: "TLS read")
            case SSL_ERROR_ZERO_RETURN: return []
            case SSL_ERROR_SYSCALL:
                if errno == 0 || errno == ECONNRESET { return [] }
                throw SMTPError(.network("TLS read: \(errnoText())"))
            default:
                let detail = openSSLErrors()
                if detail.contains("unexpected eof") { return [] }
                throw SMTPError(.tls("read failed: \(detail)"))
            }
        }
    }

    package func write(_ bytes: [UInt8], deadline: Deadline) throws(SMTPError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let chunk = Int32(min(bytes.count - offset, 1 << 30))
            let count = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, chunk) }
            if count > 0 {
                offset += Int(count)
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ: try socket.wait(for: Int16(POLLIN), deadline: deadline, what: "TLS write")
            case SSL_ERROR_WANT_WRITE: try socket.wait(for: Int16(POLLOUT), deadline: deadline, what: "TLS write")
            case SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL:
                throw SMTPError(.connectionClosed("the peer closed the connection while we were writing"))
            default: throw SMTPError(.tls("write failed: \(openSSLErrors())"))
            }
        }
    }

    package func close() {
        guard !isClosed else { return }
        isClosed = true
        if socket.fd >= 0 { SSL_shutdown(ssl) }
        ERR_clear_error()
        socket.close()
    }

    /// Turns OpenSSL's verification result into a reason a person can act on.
    private func verificationFailure(_ code: Int32, name: String) -> String {
        let chain = Self.chain(of: ssl)
        let now = Double(time(nil))
        let subject = { (certificate: CertificateInfo) in certificate.subject.isEmpty ? "(no subject)" : certificate.subject }
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            if let expired = chain.first(where: { $0.notAfter < now }) {
                return "certificate verify failed: the certificate \(subject(expired)) expired on \(formatUTC(expired.notAfter))"
            }
            return "certificate verify failed: a certificate in the chain has expired"
        case X509_V_ERR_CERT_NOT_YET_VALID:
            if let early = chain.first(where: { $0.notBefore > now }) {
                return "certificate verify failed: the certificate \(subject(early)) is not valid before \(formatUTC(early.notBefore))"
            }
            return "certificate verify failed: a certificate in the chain is not yet valid"
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            let top = chain.last
            let issuer = top.map { $0.issuer.isEmpty ? "(no issuer)" : $0.issuer } ?? "(no certificate)"
            let selfSigned = top.map { $0.issuer == $0.subject } ?? false
            return "certificate verify failed: unknown issuer \(issuer)"
                + (selfSigned ? " (self-signed and not in the trust store)" : " is not in the trust store")
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            let leaf = chain.first
            var names = leaf?.subjectAlternativeNames ?? []
            if names.isEmpty, let cn = leaf?.commonName { names = [cn] }
            return "certificate verify failed: host name mismatch: expected \(name), the certificate is for "
                + (names.isEmpty ? "no name" : names.joined(separator: ", "))
        default:
            return "certificate verify failed: " + String(cString: X509_verify_cert_error_string(Int(code)))
        }
    }
}

package func isIPAddress(_ name: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
}

/// `2026-11-23 12:00:00 UTC` for seconds since 1970.
package func formatUTC(_ seconds: Double) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    let length = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
