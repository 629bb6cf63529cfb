import COpenSSL

/// LegacyPKCS12 reads the PKCS#12 files OpenSSL 3 no longer reads by default: certificate bags
/// encrypted with RC2-40 (and keys with 3DES), as `openssl pkcs12 -export -legacy` and older
/// orapki versions write them. OpenSSL's legacy provider is loaded for that, the first time such
/// a wallet is met (never otherwise); the wallet is read as it is, and the next change rewrites
/// it with the modern algorithms (AES-256, PBKDF2), the old file kept as `ewallet.p12.bak`.
enum LegacyPKCS12 {
    /// True when `error` is OpenSSL refusing an algorithm only its legacy provider has
    /// (`error:0308010C:digital envelope routines::unsupported`).
    static func isUnsupportedAlgorithm(_ error: WalletError) -> Bool {
        error.message.contains("0308010C") || error.message.hasSuffix("::unsupported")
    }

    /// Whether OpenSSL's legacy provider (with the default one beside it) could be loaded.
    static let available: Bool = {
        OSSL_PROVIDER_load(nil, "default") != nil && OSSL_PROVIDER_load(nil, "legacy") != nil
    }()

    /// Makes the legacy algorithms available.
    /// - Throws: `WalletError.corrupt` saying what the file is and how to convert it, when the
    ///   legacy provider is not available (no `legacy.so` where `OPENSSL_MODULES` points).
    static func enable(origin: String) throws(WalletError) {
        guard available else {
            _ = OpenSSL.errors()
            throw WalletError(.corrupt, """
                \(origin) is a legacy PKCS#12 file (RC2-40/3DES encryption, as `openssl pkcs12 -export -legacy` and older \
                orapki versions write it), and OpenSSL's legacy provider (legacy.so, see OPENSSL_MODULES) is not available \
                to read it. Convert it once with OpenSSL 3: `openssl pkcs12 -legacy -in ewallet.p12 -nodes -out wallet.pem` \
                then `openssl pkcs12 -export -in wallet.pem -out ewallet.p12` (add -nokeys when it holds no key), and \
                delete wallet.pem
                """)
        }
    }

    /// The warning a wallet opened this way carries.
    static func warning(origin: String) -> String {
        "\(origin) is a legacy PKCS#12 file (RC2-40/3DES), read through OpenSSL's legacy provider; the next change "
            + "rewrites it with AES-256, keeping the old file as ewallet.p12.bak"
    }
}
