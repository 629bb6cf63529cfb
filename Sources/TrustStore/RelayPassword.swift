import COpenSSL
import SMTPConversation

/// RelayPassword keeps a relay user's password as a salted slow hash, never in clear:
/// PBKDF2-HMAC-SHA256 (RFC 8018) through OpenSSL, in the form
/// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (salt and hash in base64), the form Django and
/// passlib use.
///
/// A stolen wallet then gives an attacker a hash to crack per user instead of the password
/// that also opens the user's account elsewhere.
public enum RelayPassword {
    /// The scheme name at the start of a stored hash.
    public static let scheme = "pbkdf2-sha256"
    /// The iteration count for new hashes; each check costs about as many HMACs.
    public static let defaultIterations = 210_000
    /// The most iterations a stored hash may ask for (a hostile wallet cannot stall a check for long).
    public static let maxIterations = 10_000_000

    /// Hashes `password` with a fresh random salt.
    /// - Throws: `WalletError.io` when OpenSSL cannot give random bytes.
    public static func hash(_ password: String, iterations: Int = defaultIterations) throws(WalletError) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&salt, Int32(salt.count)) == 1 else {
            throw WalletError(.io, "cannot make a random salt: \(OpenSSL.errors())")
        }
        guard let derived = derive(password, salt: salt, iterations: iterations) else {
            throw WalletError(.io, "cannot hash the password: \(OpenSSL.errors())")
        }
        return "\(scheme)$\(iterations)$\(Base64.encode(salt))$\(Base64.encode(derived))"
    }

    /// True when `stored` is a hash this type can check.
    public static func isHash(_ stored: String) -> Bool { parse(stored) != nil }

    /// True when `password` is the one `stored` was made from (compared in constant time).
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard let (iterations, salt, expected) = parse(stored),
            let derived = derive(password, salt: salt, iterations: iterations, length: expected.count)
        else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ derived[index] }
        return difference == 0
    }

    private static func parse(_ stored: String) -> (Int, [UInt8], [UInt8])? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]),
            (1...maxIterations).contains(iterations),
            let salt = Base64.decode(String(parts[2])), !salt.isEmpty,
            let hash = Base64.decode(String(parts[3])), (16...64).contains(hash.count)
        else { return nil }
        return (iterations, salt, hash)
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int, length: Int = 32) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: length)
        let bytes = Array(password.utf8)
        let ok = bytes.withUnsafeBufferPointer { passwordBuffer in
            passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                PKCS5_PBKDF2_HMAC(passwordChars.baseAddress, Int32(bytes.count), salt, Int32(salt.count),
                                  Int32(iterations), EVP_sha256(), Int32(length), &output)
            }
        }
        return ok == 1 ? output : nil
    }
}
