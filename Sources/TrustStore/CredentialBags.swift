import COpenSSL
import Foundation

/// CredentialBags stores `WalletCredential`s in `ewallet.p12` as PKCS#12 secret bags (RFC 7292
/// §4.2.5), one per credential, holding the credential as JSON. They go in their own safe,
/// encrypted with the wallet's password (PBES2, AES-256-CBC), so even a wallet whose
/// certificates are stored in the clear (auto-login) keeps them out of a plain `strings` dump.
/// A wallet without credentials is written exactly as before.
enum CredentialBags {
    /// The secret bag's type: we mark ours as PKCS#7 data and tell them apart by their JSON.
    static let bagType = NID_pkcs7_data
    /// The `friendlyName` of our bags, shown by `openssl pkcs12 -info`.
    static let friendlyPrefix = "smtp-conversation credential "

    /// The credential in a secret bag, nil when the bag is not one of ours.
    static func decode(_ bag: OpaquePointer) -> WalletCredential? {
        guard let value = PKCS12_SAFEBAG_get0_bag_obj(bag), value.pointee.type == V_ASN1_OCTET_STRING,
            let octets = value.pointee.value.octet_string, let data = ASN1_STRING_get0_data(octets)
        else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(octets))))
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let alias = object["alias"] as? String, let kindName = object["kind"] as? String,
            let kind = WalletCredential.Kind(rawValue: kindName)
        else { return nil }
        return WalletCredential(
            alias: alias, username: object["username"] as? String ?? "", kind: kind, secret: object["secret"] as? String ?? "",
            tenant: object["tenant"] as? String, clientID: object["clientID"] as? String,
            authority: object["authority"] as? String, scope: object["scope"] as? String,
            tokenCommand: object["tokenCommand"] as? String, allowFrom: object["allowFrom"] as? [String] ?? [],
            upstream: object["upstream"] as? String, cramMD5Context: object["cramMD5"] as? String,
            updated: object["updated"] as? Double ?? 0)
    }

    /// The JSON stored for `credential`.
    static func encode(_ credential: WalletCredential) throws(WalletError) -> [UInt8] {
        var object: [String: Any] = [
            "alias": credential.alias, "username": credential.username, "kind": credential.kind.rawValue,
            "secret": credential.secret.revealed, "updated": credential.updated,
        ]
        object["tenant"] = credential.tenant
        object["clientID"] = credential.clientID
        object["authority"] = credential.authority
        object["scope"] = credential.scope
        object["tokenCommand"] = credential.tokenCommand
        if !credential.allowFrom.isEmpty { object["allowFrom"] = credential.allowFrom }
        object["upstream"] = credential.upstream
        object["cramMD5"] = credential.cramMD5Context?.revealed
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw WalletError(.invalidArgument, "credential \(credential.alias) cannot be encoded")
        }
        return Array(data)
    }

    /// Adds one encrypted safe holding `credentials` to `p12` and recomputes its MAC.
    static func append(_ credentials: [WalletCredential], to p12: OpaquePointer, password: String) throws(WalletError) {
        guard !credentials.isEmpty else { return }
        var bags: OpaquePointer?
        defer { if let bags { shim_sk_PKCS12_SAFEBAG_pop_free(bags) } }
        for credential in credentials {
            let json = try encode(credential)
            let bag = json.withUnsafeBufferPointer { PKCS12_add_secret(&bags, bagType, $0.baseAddress, Int32($0.count)) }
            guard let bag else { throw WalletError(.io, "cannot store credential \(credential.alias): \(OpenSSL.errors())") }
            PKCS12_add_friendlyname_asc(bag, friendlyPrefix + credential.alias, -1)
        }
        guard var safes = PKCS12_unpack_authsafes(p12) else {
            throw WalletError(.io, "cannot add credentials to the wallet: \(OpenSSL.errors())")
        }
        defer { shim_sk_PKCS7_pop_free(safes) }
        // Auto-login: one KDF round (the password is empty; the file mode protects the wallet).
        let iterations = password.isEmpty ? 1 : shim_PKCS12_DEFAULT_ITER()
        var optionalSafes: OpaquePointer? = safes
        guard PKCS12_add_safe(&optionalSafes, bags, NID_aes_256_cbc, iterations, password) == 1, let updated = optionalSafes else {
            throw WalletError(.io, "cannot encrypt the wallet's credentials: \(OpenSSL.errors())")
        }
        safes = updated
        guard PKCS12_pack_authsafes(p12, safes) == 1,
            PKCS12_set_mac(p12, password, -1, nil, 0, iterations, nil) == 1
        else {
            throw WalletError(.io, "cannot seal the wallet's credentials: \(OpenSSL.errors())")
        }
    }
}
