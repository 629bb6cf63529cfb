import COpenSSL

/// PKCS12Codec reads and writes `ewallet.p12` with OpenSSL, in the layout `openssl pkcs12`
/// makes: trusted certificates as certificate bags, and optionally one key bag with its
/// certificate (the client identity). An empty password is an auto-login wallet.
enum PKCS12Codec {
    /// What a PKCS#12 file holds.
    struct Contents {
        var certificates: [[UInt8]]
        var identity: ClientIdentity?
    }

    /// Opens `bytes` with `password`.
    /// - Throws: `WalletError.corrupt` when it is not PKCS#12, `.wrongPassword` when the MAC
    ///   does not verify with the password.
    static func read(_ bytes: [UInt8], password: String, origin: String) throws(WalletError) -> Contents {
        guard let bio = OpenSSL.bio(bytes) else { throw WalletError(.io, "out of memory reading \(origin)") }
        defer { BIO_free(bio) }
        guard let p12 = d2i_PKCS12_bio(bio, nil) else {
            ERR_clear_error()
            throw WalletError(.corrupt, "\(origin) is not a PKCS#12 file (truncated or damaged?)")
        }
        defer { PKCS12_free(p12) }
        if PKCS12_mac_present(p12) == 1 {
            // An empty password has two encodings (none, and an empty BMPString); accept both
            // as openssl pkcs12 does.
            let verified = password.isEmpty
                ? PKCS12_verify_mac(p12, nil, 0) == 1 || PKCS12_verify_mac(p12, "", 0) == 1
                : PKCS12_verify_mac(p12, password, -1) == 1
            ERR_clear_error()
            guard verified else {
                throw WalletError(.wrongPassword, password.isEmpty
                    ? "\(origin) is protected by a password (it is not an auto-login wallet); give its password"
                    : "the password does not open \(origin)")
            }
        }
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        var others: OpaquePointer?
        guard PKCS12_parse(p12, password, &key, &certificate, &others) == 1 else {
            throw WalletError(.corrupt, "cannot read the contents of \(origin): \(OpenSSL.errors())")
        }
        defer {
            if let key { EVP_PKEY_free(key) }
            if let certificate { X509_free(certificate) }
            if let others { shim_sk_X509_pop_free(others) }
        }
        var contents = Contents(certificates: OpenSSL.elements(others).map(OpenSSL.der), identity: nil)
        if let key, let certificate {
            contents.identity = ClientIdentity(certificate: OpenSSL.der(certificate), privateKeyPEM: try privateKeyPEM(key))
        } else if let certificate {
            contents.certificates.insert(OpenSSL.der(certificate), at: 0)
        }
        return contents
    }

    /// Encodes `contents` protected by `password` (empty: auto-login).
    static func write(_ contents: Contents, password: String) throws(WalletError) -> [UInt8] {
        var pointers: [OpaquePointer] = []
        defer { pointers.forEach { X509_free($0) } }
        for der in contents.certificates {
            guard let x509 = OpenSSL.x509(der: der) else { throw WalletError(.corrupt, "a certificate to store cannot be parsed") }
            pointers.append(x509)
        }
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        defer {
            if let key { EVP_PKEY_free(key) }
            if let certificate { X509_free(certificate) }
        }
        if let identity = contents.identity {
            certificate = OpenSSL.x509(der: identity.certificate)
            key = try readPrivateKey(identity.privateKeyPEM)
            guard let certificate, let key, X509_check_private_key(certificate, key) == 1 else {
                ERR_clear_error()
                throw WalletError(.invalidArgument, "the client private key does not match its certificate")
            }
        }
        let p12: OpaquePointer?
        if pointers.isEmpty && key == nil {
            p12 = emptyPKCS12(password: password)
        } else {
            let stack = OpenSSL.stack(pointers)
            defer { if let stack { shim_sk_X509_pop_free(stack) } }
            p12 = PKCS12_create(password, key == nil ? nil : "client identity", key, certificate, stack, 0, 0,
                                shim_PKCS12_DEFAULT_ITER(), shim_PKCS12_DEFAULT_ITER(), 0)
        }
        guard let p12 else { throw WalletError(.io, "cannot encode the wallet as PKCS#12: \(OpenSSL.errors())") }
        defer { PKCS12_free(p12) }
        guard let bio = shim_BIO_new_mem() else { throw WalletError(.io, "out of memory") }
        defer { BIO_free(bio) }
        guard i2d_PKCS12_bio(bio, p12) == 1 else { throw WalletError(.io, "cannot encode the wallet: \(OpenSSL.errors())") }
        return OpenSSL.bytes(of: bio)
    }

    /// A PKCS#12 with no bags, for a freshly created wallet (PKCS12_create refuses nothing).
    private static func emptyPKCS12(password: String) -> OpaquePointer? {
        guard let p12 = PKCS12_init(NID_pkcs7_data) else { return nil }
        guard let safes = shim_sk_PKCS7_new_null() else {
            PKCS12_free(p12)
            return nil
        }
        defer { shim_sk_PKCS7_free(safes) }
        guard PKCS12_pack_authsafes(p12, safes) == 1,
            PKCS12_set_mac(p12, password, -1, nil, 0, shim_PKCS12_DEFAULT_ITER(), nil) == 1
        else {
            PKCS12_free(p12)
            return nil
        }
        return p12
    }

    /// The key as unencrypted PKCS#8 PEM (kept in memory only).
    static func privateKeyPEM(_ key: OpaquePointer) throws(WalletError) -> String {
        guard let bio = shim_BIO_new_mem() else { throw WalletError(.io, "out of memory") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else {
            throw WalletError(.corrupt, "cannot read the wallet's private key: \(OpenSSL.errors())")
        }
        return String(decoding: OpenSSL.bytes(of: bio), as: UTF8.self)
    }

    /// Parses a PEM private key (unencrypted).
    static func readPrivateKey(_ pem: String) throws(WalletError) -> OpaquePointer {
        guard let bio = OpenSSL.bio(Array(pem.utf8)) else { throw WalletError(.io, "out of memory") }
        defer { BIO_free(bio) }
        // The callback refuses encrypted keys instead of letting OpenSSL prompt on the terminal.
        guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
            ERR_clear_error()
            throw WalletError(.corrupt, "the client private key is not an unencrypted PEM private key")
        }
        return key
    }
}
