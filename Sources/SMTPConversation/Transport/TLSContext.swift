import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// TLSContext owns an OpenSSL `SSL_CTX` set up with the safe defaults: TLS 1.2 minimum, no
/// compression, no renegotiation, and (for clients) peer verification against the trust source.
package final class TLSContext: @unchecked Sendable {
    package let pointer: OpaquePointer

    private init(method: OpaquePointer) throws(SMTPError) {
        guard let ctx = SSL_CTX_new(method) else { throw SMTPError(.tls("SSL_CTX_new: \(openSSLErrors())")) }
        pointer = ctx
        shim_SSL_CTX_set_min_proto_version(ctx, shim_TLS1_2_VERSION())
        shim_SSL_CTX_set_options_defaults(ctx)
    }

    deinit { SSL_CTX_free(pointer) }

    /// A client context that verifies servers with `configuration`.
    package static func client(_ configuration: TLSConfiguration) throws(SMTPError) -> TLSContext {
        let context = try TLSContext(method: TLS_client_method())
        let ctx = context.pointer
        SSL_CTX_set_verify(ctx, configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        switch configuration.trust {
        case .system:
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                throw SMTPError(.tls("cannot load the system trust store: \(openSSLErrors())"))
            }
        case .pemFile(let path):
            guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                throw SMTPError(.tls("cannot load trusted certificates from \(path): \(openSSLErrors())"))
            }
        case .pemDirectory(let path):
            try context.loadDirectory(path)
        case .provider(let provider):
            let certificates: [[UInt8]]
            do { certificates = try provider.trustedCertificatesDER() } catch {
                throw SMTPError(.tls("cannot read the trust source: \(error)"))
            }
            try context.addTrusted(certificates)
            let identity: (certificateChain: String, privateKey: String)?
            do { identity = try provider.clientIdentityPEM() } catch {
                throw SMTPError(.tls("cannot read the client certificate from the trust source: \(error)"))
            }
            if let identity {
                try context.useIdentity(certificatePEM: identity.certificateChain, keyPEM: identity.privateKey)
            }
        }
        if let client = configuration.clientCertificate {
            try context.useIdentityFiles(certificatePath: client.certificatePath, keyPath: client.keyPath)
        }
        return context
    }

    /// A server context presenting the certificate chain and key in PEM files.
    package static func server(certificatePath: String, keyPath: String) throws(SMTPError) -> TLSContext {
        let context = try TLSContext(method: TLS_server_method())
        try context.useIdentityFiles(certificatePath: certificatePath, keyPath: keyPath)
        return context
    }

    /// A server context presenting a certificate chain and key given as PEM text (a wallet's identity).
    package static func server(certificatePEM: String, keyPEM: String) throws(SMTPError) -> TLSContext {
        let context = try TLSContext(method: TLS_server_method())
        try context.useIdentity(certificatePEM: certificatePEM, keyPEM: keyPEM)
        return context
    }

    private func useIdentityFiles(certificatePath: String, keyPath: String) throws(SMTPError) {
        guard SSL_CTX_use_certificate_chain_file(pointer, certificatePath) == 1 else {
            throw SMTPError(.tls("cannot load the certificate chain \(certificatePath): \(openSSLErrors())"))
        }
        guard SSL_CTX_use_PrivateKey_file(pointer, keyPath, SSL_FILETYPE_PEM) == 1 else {
            throw SMTPError(.tls("cannot load the private key \(keyPath): \(openSSLErrors())"))
        }
        guard SSL_CTX_check_private_key(pointer) == 1 else {
            throw SMTPError(.tls("the private key \(keyPath) does not match \(certificatePath)"))
        }
    }

    private func useIdentity(certificatePEM: String, keyPEM: String) throws(SMTPError) {
        let certificates = try pemObjects(certificatePEM) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
        guard let leaf = certificates.first else { throw SMTPError(.tls("the client identity holds no certificate")) }
        defer { certificates.forEach { X509_free($0) } }
        guard SSL_CTX_use_certificate(pointer, leaf) == 1 else {
            throw SMTPError(.tls("cannot use the client certificate: \(openSSLErrors())"))
        }
        for extra in certificates.dropFirst() {
            X509_up_ref(extra)
            SSL_CTX_add_extra_chain_cert_shim(extra)
        }
        let keys = try pemObjects(keyPEM) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let key = keys.first else { throw SMTPError(.tls("the client identity holds no private key")) }
        defer { keys.forEach { EVP_PKEY_free($0) } }
        guard SSL_CTX_use_PrivateKey(pointer, key) == 1, SSL_CTX_check_private_key(pointer) == 1 else {
            throw SMTPError(.tls("the client key does not match its certificate"))
        }
    }

    private func SSL_CTX_add_extra_chain_cert_shim(_ certificate: OpaquePointer) {
        shim_SSL_CTX_add_extra_chain_cert(pointer, certificate)
    }

    private func addTrusted(_ certificates: [[UInt8]]) throws(SMTPError) {
        guard let store = SSL_CTX_get_cert_store(pointer) else { throw SMTPError(.tls("no certificate store")) }
        for der in certificates {
            var cursor: UnsafePointer<UInt8>?
            let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
                cursor = buffer.baseAddress
                return d2i_X509(nil, &cursor, buffer.count)
            }
            guard let x509 else { throw SMTPError(.tls("the trust source holds a certificate that cannot be parsed")) }
            X509_STORE_add_cert(store, x509)
            X509_free(x509)
        }
        ERR_clear_error()
    }

    private func loadDirectory(_ path: String) throws(SMTPError) {
        guard let directory = opendir(path) else {
            throw SMTPError(.tls("cannot open the trust directory \(path): \(errnoText())"))
        }
        defer { closedir(directory) }
        var loaded = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix("."), !name.hasSuffix(".key") else { continue }
            if SSL_CTX_load_verify_locations(pointer, path + "/" + name, nil) == 1 { loaded += 1 }
        }
        ERR_clear_error()
        guard loaded > 0 else { throw SMTPError(.tls("no certificate could be loaded from \(path)")) }
    }
}

/// Reads every PEM object of one kind from a string.
package func pemObjects<T>(_ pem: String, read: (OpaquePointer) -> T?) throws(SMTPError) -> [T] {
    guard let bio = shim_BIO_new_mem() else { throw SMTPError(.tls("out of memory")) }
    defer { BIO_free(bio) }
    _ = pem.withCString { BIO_puts(bio, $0) }
    var objects: [T] = []
    while let object = read(bio) { objects.append(object) }
    ERR_clear_error()
    return objects
}

/// The queued OpenSSL error messages, oldest first, and clears the queue.
package func openSSLErrors() -> String { OpenSSLDiagnostics.drainErrors() }

/// OpenSSLDiagnostics reads OpenSSL's error queue for messages; TrustStore uses it too.
public enum OpenSSLDiagnostics {
    /// The queued OpenSSL error messages, oldest first, joined by "; "; clears the queue.
    public static func drainErrors() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "unknown OpenSSL error" : messages.joined(separator: "; ")
    }
}
