import COpenSSL

/// CertificateInfo describes one certificate of the server's chain, for `show cert` and for
/// wallet renewal.
public struct CertificateInfo: Sendable, Equatable {
    /// The subject's distinguished name, e.g. `CN=mail.example.test`.
    public let subject: String
    /// The issuer's distinguished name.
    public let issuer: String
    /// Start of validity, seconds since 1970.
    public let notBefore: Double
    /// End of validity, seconds since 1970.
    public let notAfter: Double
    /// SHA-256 of the DER encoding, upper-case hex with colons.
    public let sha256Fingerprint: String
    /// The DNS names and IP addresses in subjectAltName.
    public let subjectAlternativeNames: [String]
    /// The DER encoding.
    public let der: [UInt8]

    /// Reads the fields of an OpenSSL `X509`.
    init(x509: OpaquePointer) {
        subject = Self.name(X509_get_subject_name(x509))
        issuer = Self.name(X509_get_issuer_name(x509))
        notBefore = Self.time(X509_get0_notBefore(x509))
        notAfter = Self.time(X509_get0_notAfter(x509))
        var derPointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x509, &derPointer)
        if length > 0, let derPointer {
            der = Array(UnsafeBufferPointer(start: derPointer, count: Int(length)))
            CRYPTO_free(derPointer, #file, #line)
        } else {
            der = []
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        X509_digest(x509, EVP_sha256(), &digest, &digestLength)
        sha256Fingerprint = digest.prefix(Int(digestLength)).map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }
            .joined(separator: ":")
        subjectAlternativeNames = Self.alternativeNames(x509)
    }

    /// Parses a DER certificate.
    public init?(der: [UInt8]) {
        var pointer: UnsafePointer<UInt8>? = nil
        let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            pointer = buffer.baseAddress
            return d2i_X509(nil, &pointer, buffer.count)
        }
        guard let x509 else { return nil }
        defer { X509_free(x509) }
        self.init(x509: x509)
    }

    /// The subject's common name, if any.
    public var commonName: String? {
        subject.split(separator: ",").map { $0.trimmingCharacters() }.first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) }
    }

    static func name(_ name: OpaquePointer?) -> String {
        guard let name, let bio = shim_BIO_new_mem() else { return "" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, name, 0, shim_XN_FLAG_RFC2253())
        return bioString(bio)
    }

    static func bioString(_ bio: OpaquePointer) -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = shim_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    static func time(_ time: UnsafePointer<ASN1_TIME>?) -> Double {
        guard let time else { return 0 }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return 0 }
        return Double(timegm(&tm))
    }

    static func alternativeNames(_ x509: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { shim_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<shim_sk_GENERAL_NAME_num(names) {
            guard let name = shim_sk_GENERAL_NAME_value(names, index) else { continue }
            switch name.pointee.type {
            case GEN_DNS:
                if let ia5 = name.pointee.d.dNSName {
                    result.append(String(decoding: UnsafeBufferPointer(start: ASN1_STRING_get0_data(ia5), count: Int(ASN1_STRING_length(ia5))), as: UTF8.self))
                }
            case GEN_IPADD:
                if let ip = name.pointee.d.iPAddress {
                    let bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(ip), count: Int(ASN1_STRING_length(ip))))
                    result.append(Self.ipText(bytes))
                }
            default: break
            }
        }
        return result
    }

    static func ipText(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: bytes.count, by: 2).map { String(Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
