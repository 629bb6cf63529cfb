import COpenSSL

extension ClientIdentity {
    /// Signs `message` with the identity's private key: RSASSA-PKCS1-v1_5 with SHA-256 (JWS
    /// `RS256`), as the Microsoft identity platform wants for a certificate's client assertion.
    /// The key never leaves the wallet's module.
    /// - Throws: `WalletError.invalidArgument` when the key is not RSA, `.corrupt` when it
    ///   cannot be read.
    public func signRS256(_ message: [UInt8]) throws(WalletError) -> [UInt8] {
        let key = try PKCS12Codec.readPrivateKey(privateKeyPEM)
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
            throw WalletError(.invalidArgument, "the wallet's client key is not RSA; client assertions are signed with RS256 here")
        }
        guard let context = EVP_MD_CTX_new() else { throw WalletError(.io, "out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1,
            message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1
        else { throw WalletError(.corrupt, "cannot sign with the wallet's client key: \(OpenSSL.errors())") }
        var signature = [UInt8](repeating: 0, count: length)
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }) == 1 else {
            throw WalletError(.corrupt, "cannot sign with the wallet's client key: \(OpenSSL.errors())")
        }
        return Array(signature.prefix(length))
    }

    /// The certificate's SHA-1 digest (JWS `x5t`, which Microsoft uses to find the certificate).
    public var sha1Thumbprint: [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        var size: UInt32 = 0
        _ = certificate.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &digest, &size, EVP_sha1(), nil) }
        return digest
    }
}
