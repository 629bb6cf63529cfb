import COpenSSL

/// PKCS12Codec reads and writes `ewallet.p12` with OpenSSL, in the layout `openssl pkcs12`
/// makes: trusted certificates as certificate bags, and optionally one key bag with its
/// certificate (the client identity). An empty password is an auto-login wallet.
enum PKCS12Codec {
    /// What a PKCS#12 file holds.
    struct Contents {
        var certificates: [[UInt8]]
        var identity: ClientIdentity?
        var credentials: [WalletCredential] = []
        /// True when the file needed OpenSSL's legacy provider (RC2-40, 3DES; see `LegacyPKCS12`).
        var isLegacy = false
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
        // Which encoding of the password the MAC took (empty has two).
        var usesNoPassword = false
        if PKCS12_mac_present(p12) == 1 {
            // An empty password has two encodings (none, and an empty BMPString); accept both
            // as openssl pkcs12 does.
            usesNoPassword = password.isEmpty && PKCS12_verify_mac(p12, nil, 0) == 1
            let verified = usesNoPassword || (password.isEmpty
                ? PKCS12_verify_mac(p12, "", 0) == 1
                : PKCS12_verify_mac(p12, password, -1) == 1)
            ERR_clear_error()
            guard verified else {
                throw WalletError(.wrongPassword, password.isEmpty
                    ? "\(origin) is protected by a password (it is not an auto-login wallet); give its password"
                    : "the password does not open \(origin)")
            }
        }
        do {
            return try readContents(p12, password: password, usesNoPassword: usesNoPassword, origin: origin)
        } catch where LegacyPKCS12.isUnsupportedAlgorithm(error) {
            try LegacyPKCS12.enable(origin: origin)
            var contents = try readContents(p12, password: password, usesNoPassword: usesNoPassword, origin: origin)
            contents.isLegacy = true
            return contents
        }
    }

    /// The bags of an opened PKCS#12 whose MAC verified.
    private static func readContents(_ p12: OpaquePointer, password: String, usesNoPassword: Bool, origin: String)
        throws(WalletError) -> Contents
    {
        let scan = try scanBags(p12, password: usesNoPassword ? nil : password, origin: origin)
        guard scan.hasKey else { return Contents(certificates: scan.certificates, identity: nil, credentials: scan.credentials) }
        var contents = try readWithKey(p12, password: password, origin: origin)
        contents.credentials = scan.credentials
        return contents
    }

    /// The certificate bags' DER, read without parsing each certificate (opening a 150-certificate
    /// wallet must cost no more than OpenSSL reading the same PEM bundle); and whether a key bag exists.
    private static func scanBags(_ p12: OpaquePointer, password: String?, origin: String) throws(WalletError)
        -> (certificates: [[UInt8]], hasKey: Bool, credentials: [WalletCredential])
    {
        guard let safes = PKCS12_unpack_authsafes(p12) else {
            throw WalletError(.corrupt, "cannot read the contents of \(origin): \(OpenSSL.errors())")
        }
        defer { shim_sk_PKCS7_pop_free(safes) }
        var certificates: [[UInt8]] = []
        var hasKey = false
        var credentials: [WalletCredential] = []
        for index in 0..<shim_sk_PKCS7_num(safes) {
            guard let safe = shim_sk_PKCS7_value(safes, index) else { continue }
            let bags: OpaquePointer?
            if shim_PKCS7_type_is_data(safe) == 1 {
                bags = PKCS12_unpack_p7data(safe)
            } else if shim_PKCS7_type_is_encrypted(safe) == 1 {
                bags = password.map { PKCS12_unpack_p7encdata(safe, $0, -1) } ?? PKCS12_unpack_p7encdata(safe, nil, 0)
            } else {
                continue
            }
            guard let bags else { throw WalletError(.corrupt, "cannot decrypt the contents of \(origin): \(OpenSSL.errors())") }
            defer { shim_sk_PKCS12_SAFEBAG_pop_free(bags) }
            for bagIndex in 0..<shim_sk_PKCS12_SAFEBAG_num(bags) {
                guard let bag = shim_sk_PKCS12_SAFEBAG_value(bags, bagIndex) else { continue }
                switch PKCS12_SAFEBAG_get_nid(bag) {
                case NID_certBag where PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate:
                    guard let der = certificateBagDER(bag) else {
                        throw WalletError(.corrupt, "\(origin) holds a certificate bag without a certificate")
                    }
                    certificates.append(der)
                case NID_keyBag, NID_pkcs8ShroudedKeyBag:
                    hasKey = true
                case NID_secretBag:
                    if let credential = CredentialBags.decode(bag) { credentials.append(credential) }
                default:
                    break
                }
            }
        }
        return (certificates, hasKey, credentials)
    }

    /// The certificate's DER inside a certificate bag, found by walking the bag's own DER:
    /// SafeBag ::= SEQUENCE { OID, [0] { CertBag ::= SEQUENCE { OID, [0] { OCTET STRING } } }, ... }.
    private static func certificateBagDER(_ bag: OpaquePointer) -> [UInt8]? {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PKCS12_SAFEBAG(bag, &pointer)
        guard length > 0, let pointer else { return nil }
        defer { CRYPTO_free(pointer, #file, #line) }
        var reader = DERReader(UnsafeBufferPointer(start: pointer, count: Int(length)))
        guard var safeBag = reader.enter(0x30) else { return nil }
        guard safeBag.skip(0x06), var value = safeBag.enter(0xA0), var certBag = value.enter(0x30), certBag.skip(0x06),
            var explicit = certBag.enter(0xA0), let octets = explicit.enter(0x04)
        else { return nil }
        let der = octets.remaining
        return der.first == 0x30 ? der : nil
    }

    /// The slow path for a wallet with a client identity: OpenSSL pairs key and certificate.
    private static func readWithKey(_ p12: OpaquePointer, password: String, origin: String) throws(WalletError) -> Contents {
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
            // With an empty password (auto-login) encryption and key stretching protect nothing (the
            // file mode does): certificates are stored unencrypted and the KDFs run once, which keeps
            // opening as cheap as reading a PEM bundle. A private key is always encrypted.
            let autoLogin = password.isEmpty
            let iterations = autoLogin ? 1 : shim_PKCS12_DEFAULT_ITER()
            p12 = PKCS12_create(password, key == nil ? nil : "client identity", key, certificate, stack, 0,
                                autoLogin ? -1 : 0, iterations, iterations, 0)
        }
        guard let p12 else { throw WalletError(.io, "cannot encode the wallet as PKCS#12: \(OpenSSL.errors())") }
        defer { PKCS12_free(p12) }
        try CredentialBags.append(contents.credentials, to: p12, password: password)
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

/// DERReader walks definite-length DER (enough for PKCS#12 bags).
struct DERReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset: Int
    private let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
        self.bytes = bytes
        offset = from
        end = to
    }

    /// The bytes not yet read.
    var remaining: [UInt8] { Array(bytes[offset..<end]) }

    /// Reads one element with `tag`; returns a reader over its contents.
    mutating func enter(_ tag: UInt8) -> DERReader? {
        guard offset + 2 <= end, bytes[offset] == tag else { return nil }
        var index = offset + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, index + count <= end else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard index + length <= end else { return nil }
        offset = index + length
        return DERReader(bytes, from: index, to: index + length)
    }

    /// Skips one element with `tag`.
    mutating func skip(_ tag: UInt8) -> Bool { enter(tag) != nil }
}
