import COpenSSL

/// CertificateReader reads certificates from what users have: a PEM file (one certificate or
/// a bundle such as `/etc/ssl/certs/ca-certificates.crt`), a DER file, or a directory of them.
public enum CertificateReader {
    /// The DER certificates in `bytes`, PEM (any number) or DER (one).
    /// - Parameter origin: named in the error, e.g. the file's path.
    /// - Throws: `WalletError.corrupt` when nothing in `bytes` is a certificate.
    public static func certificates(in bytes: [UInt8], origin: String) throws(WalletError) -> [[UInt8]] {
        if bytes.first == 0x30, let x509 = OpenSSL.x509(der: bytes) {
            defer { X509_free(x509) }
            return [OpenSSL.der(x509)]
        }
        guard let bio = OpenSSL.bio(bytes) else { throw WalletError(.io, "out of memory reading \(origin)") }
        defer { BIO_free(bio) }
        var result: [[UInt8]] = []
        while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
            result.append(OpenSSL.der(x509))
            X509_free(x509)
        }
        ERR_clear_error()
        guard !result.isEmpty else {
            throw WalletError(.corrupt, "\(origin) holds no certificate (neither PEM 'BEGIN CERTIFICATE' blocks nor DER)")
        }
        return result
    }

    /// The certificates in a file or, for a directory, in every `*.pem`, `*.crt`, `*.cer` and
    /// `*.der` file directly inside it.
    /// - Returns: each certificate with the file it came from.
    public static func certificates(atPath path: String) throws(WalletError) -> [(der: [UInt8], file: String)] {
        if FileSystem.isDirectory(path) {
            let names = try FileSystem.list(path).filter { name in
                [".pem", ".crt", ".cer", ".der"].contains { name.lowercased().hasSuffix($0) }
            }.sorted()
            var result: [(der: [UInt8], file: String)] = []
            for name in names {
                let file = path + "/" + name
                for der in try certificates(in: try FileSystem.read(file), origin: file) { result.append((der, file)) }
            }
            guard !result.isEmpty else { throw WalletError(.corrupt, "the directory \(path) holds no certificate file") }
            return result
        }
        return try certificates(in: try FileSystem.read(path), origin: path).map { ($0, path) }
    }
}

extension CertificateReader {
    /// The system's CA bundle: `$SSL_CERT_FILE`, else Debian's `/etc/ssl/certs/ca-certificates.crt`,
    /// else OpenSSL's compiled-in default file.
    public static var systemBundlePath: String {
        if let path = getenv("SSL_CERT_FILE") { return String(cString: path) }
        let debian = "/etc/ssl/certs/ca-certificates.crt"
        if FileSystem.exists(debian) { return debian }
        return String(cString: X509_get_default_cert_file())
    }
}
