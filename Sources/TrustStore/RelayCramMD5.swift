import COpenSSL
import SMTPConversation

/// RelayCramMD5 keeps what a relay user's CRAM-MD5 (RFC 2195) needs without the password: the
/// HMAC-MD5 context, i.e. the MD5 state after the key XOR opad block and after the key XOR ipad
/// block, in Dovecot's `{CRAM-MD5}` form (64 hex digits: outer A B C D, then inner, each
/// little-endian), the form `doveadm pw -s CRAM-MD5` prints.
///
/// It is password-equivalent for CRAM-MD5 (whoever steals it can answer any challenge as the
/// user, though not learn the password to use elsewhere): that is why a relay user has it only
/// when asked (`smtp-wallet credential add --cram-md5`), and why it stays inside the encrypted
/// wallet.
public enum RelayCramMD5 {
    /// The prefix of a stored context.
    public static let scheme = "{CRAM-MD5}"

    /// The stored context for `password`.
    public static func context(_ password: String) -> String {
        var key = Array(password.utf8)
        if key.count > 64 { key = md5(key) }  // RFC 2104: a long key is hashed first
        key += [UInt8](repeating: 0, count: 64 - key.count)
        let outer = state(key.map { $0 ^ 0x5C })
        let inner = state(key.map { $0 ^ 0x36 })
        var bytes: [UInt8] = []
        for word in outer + inner {
            bytes += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24 & 0xFF)]
        }
        return scheme + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// True when `stored` is a context this type can use.
    public static func isContext(_ stored: String) -> Bool { parse(stored) != nil }

    /// True when `digest` (hex, as the client sent it) is HMAC-MD5(password, `challenge`) for the
    /// password `stored` was made from; compared in constant time.
    public static func verify(challenge: String, digest: String, against stored: String) -> Bool {
        guard let (outer, inner) = parse(stored) else { return false }
        let innerDigest = resume(inner, Array(challenge.utf8))
        let expected = resume(outer, innerDigest).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return constantTimeEqual(Array(expected.utf8), Array(digest.lowercased().utf8))
    }

    private static func parse(_ stored: String) -> ([UInt32], [UInt32])? {
        guard stored.hasPrefix(scheme) else { return nil }
        let hex = Array(stored.utf8.dropFirst(scheme.utf8.count))
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < hex.count {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            index += 2
        }
        var words: [UInt32] = []
        for n in 0..<8 {
            var word: UInt32 = 0
            for shift in 0..<4 { word |= UInt32(bytes[4 * n + shift]) << UInt32(8 * shift) }
            words.append(word)
        }
        return (Array(words[0..<4]), Array(words[4..<8]))
    }

    private static func state(_ block: [UInt8]) -> [UInt32] {
        var abcd = [UInt32](repeating: 0, count: 4)
        block.withUnsafeBufferPointer { shim_md5_state_after_block($0.baseAddress, &abcd) }
        return abcd
    }

    private static func resume(_ abcd: [UInt32], _ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        data.withUnsafeBufferPointer { shim_md5_resume(abcd, $0.baseAddress, $0.count, &digest) }
        return digest
    }

    private static func md5(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = data.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_md5(), nil) }
        return Array(digest.prefix(Int(length)))
    }
}
