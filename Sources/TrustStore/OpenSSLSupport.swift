import COpenSSL
import SMTPConversation

/// Small wrappers around OpenSSL's X509 and BIO calls, shared by the wallet's files.
enum OpenSSL {
    /// Parses one DER certificate; nil when it is not one.
    static func x509(der: [UInt8]) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
    }

    /// The DER encoding of a certificate.
    static func der(_ x509: OpaquePointer) -> [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x509, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { CRYPTO_free(pointer, #file, #line) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    /// The SHA-256 digest of `bytes` in lowercase hex.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var size: UInt32 = 0
        _ = bytes.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &digest, &size, EVP_sha256(), nil) }
        return digest.prefix(Int(size)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A memory BIO holding `bytes` (copied).
    static func bio(_ bytes: [UInt8]) -> OpaquePointer? {
        guard let bio = shim_BIO_new_mem() else { return nil }
        let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        if written != bytes.count && !bytes.isEmpty {
            BIO_free(bio)
            return nil
        }
        return bio
    }

    /// Everything written to a memory BIO.
    static func bytes(of bio: OpaquePointer) -> [UInt8] {
        var data: UnsafeMutablePointer<CChar>?
        let length = shim_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { Array(UnsafeBufferPointer(start: $0, count: Int(length))) }
    }

    /// The queued OpenSSL error messages, oldest first; clears the queue.
    static func errors() -> String { OpenSSLDiagnostics.drainErrors() }

    /// A new STACK_OF(X509) holding up-referenced copies of `certificates`; free with `shim_sk_X509_pop_free`.
    static func stack(_ certificates: [OpaquePointer]) -> OpaquePointer? {
        guard let stack = shim_sk_X509_new_null() else { return nil }
        for certificate in certificates {
            X509_up_ref(certificate)
            shim_sk_X509_push(stack, certificate)
        }
        return stack
    }

    /// The certificates of a stack (borrowed pointers).
    static func elements(_ stack: OpaquePointer?) -> [OpaquePointer] {
        guard let stack else { return [] }
        return (0..<shim_sk_X509_num(stack)).compactMap { shim_sk_X509_value(stack, $0) }
    }

    /// PEM text for one DER certificate.
    static func pem(der: [UInt8]) -> String {
        let body = base64(der)
        var lines = ["-----BEGIN CERTIFICATE-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<end]))
            index = end
        }
        lines.append("-----END CERTIFICATE-----")
        return lines.joined(separator: "\n") + "\n"
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index], b1 = index + 1 < bytes.count ? bytes[index + 1] : 0, b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
