import COpenSSL

/// SASLClient runs the client side of one AUTH exchange (RFC 4954) with no I/O: it gives the
/// initial response and answers each 334 challenge.
///
/// Mechanisms: PLAIN (RFC 4616), LOGIN (whatever the server's prompts say), CRAM-MD5 (RFC 2195)
/// and XOAUTH2 (Google/Microsoft: `user=…^Aauth=Bearer …^A^A`). At most `maxRounds` challenges
/// are answered, so a server cannot keep a client in AUTH forever.
public struct SASLClient: Sendable {
    /// The mechanisms this library implements, in UTL_SMTP's spelling.
    public static let supportedMechanisms = ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"]
    /// Mechanisms that send the secret itself (or a bearer token): refused without TLS unless
    /// the caller opts in.
    public static let cleartextMechanisms: Set<String> = ["PLAIN", "LOGIN", "XOAUTH2"]
    /// The most challenges answered in one exchange.
    public static let maxRounds = 5

    /// The mechanism name, upper-case.
    public let mechanism: String
    private let credentials: Credentials
    private var rounds = 0
    private var loginStep = 0
    /// The decoded JSON error a server sent in an XOAUTH2 334 challenge, if any.
    public private(set) var serverError: String?

    /// Starts an exchange; throws `unsupportedScheme` for a mechanism not implemented here.
    public init(mechanism: String, credentials: Credentials) throws(SMTPError) {
        let name = mechanism.uppercased()
        guard Self.supportedMechanisms.contains(name) else { throw SMTPError(.unsupportedScheme(mechanism)) }
        self.mechanism = name
        self.credentials = credentials
    }

    /// The base64 initial response sent with the AUTH command, or nil when the mechanism starts
    /// with a server challenge (LOGIN, CRAM-MD5).
    public var initialResponse: String? {
        switch mechanism {
        case "PLAIN":
            return Base64.encode([0] + Array(credentials.username.utf8) + [0] + Array(credentials.secretText.utf8))
        case "XOAUTH2":
            return Base64.encode("user=\(credentials.username)\u{1}auth=Bearer \(credentials.secretText)\u{1}\u{1}")
        default:
            return nil
        }
    }

    /// Answers a 334 challenge (its base64 text); returns the base64 response line.
    public mutating func respond(to challenge: Reply) throws(SMTPError) -> String {
        rounds += 1
        guard rounds <= Self.maxRounds else {
            throw SMTPError(.authenticationFailed("the server sent more than \(Self.maxRounds) AUTH challenges"))
        }
        let encoded = challenge.lines.joined().trimmingSpaces()
        guard let decoded = Base64.decode(encoded) else {
            throw SMTPError(.malformedReply("the AUTH \(mechanism) challenge is not base64: \"\(encoded.prefix(60))\""))
        }
        switch mechanism {
        case "LOGIN":
            let prompt = String(decoding: decoded, as: UTF8.self).lowercased()
            let wantsPassword = prompt.contains("pass") || (!prompt.contains("user") && loginStep >= 1)
            loginStep += 1
            return Base64.encode(wantsPassword ? credentials.secretText : credentials.username)
        case "CRAM-MD5":
            let digest = hmacMD5(key: Array(credentials.secretText.utf8), message: decoded)
            let hex = digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            return Base64.encode("\(credentials.username) \(hex)")
        case "XOAUTH2":
            // The challenge is a JSON error; the client must answer with an empty line and the
            // server then sends the final 5xx.
            serverError = String(decoding: decoded, as: UTF8.self)
            return ""
        default:
            // PLAIN sent everything in the initial response; a challenge means the server wants
            // it again (no initial-response support): send it.
            return initialResponse ?? ""
        }
    }
}

func hmacMD5(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    _ = key.withUnsafeBufferPointer { keyBuffer in
        message.withUnsafeBufferPointer { messageBuffer in
            HMAC(EVP_md5(), keyBuffer.baseAddress, Int32(key.count), messageBuffer.baseAddress, message.count,
                 &output, &length)
        }
    }
    return Array(output.prefix(Int(length)))
}
