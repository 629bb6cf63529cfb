/// Capabilities is what a server advertised in its reply to EHLO (RFC 5321 §4.1.1.1).
///
/// The first line of the reply is the server's greeting (its domain); every other line is a
/// keyword with optional parameters. Keywords are compared case-insensitively and kept in the
/// order the server sent them, unknown ones included.
public struct Capabilities: Sendable, Equatable {
    /// One advertised extension: its keyword (upper-cased) and parameters.
    public struct Extension: Sendable, Equatable {
        /// The keyword, upper-cased, e.g. `AUTH`.
        public let keyword: String
        /// The parameters as sent, e.g. `["LOGIN", "XOAUTH2"]`.
        public let parameters: [String]
    }

    /// The domain (and greeting text) from the first line of the EHLO reply.
    public let greeting: String
    /// Every advertised extension in the order sent.
    public let extensions: [Extension]

    /// The keywords this library interprets; anything else is listed in `unknownKeywords`.
    public static let knownKeywords: Set<String> = [
        "SIZE", "PIPELINING", "STARTTLS", "AUTH", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8", "DSN",
        "ENHANCEDSTATUSCODES",
    ]

    /// Parses the capabilities from an EHLO reply.
    public init(ehloReply reply: Reply) {
        greeting = reply.lines.first ?? ""
        extensions = reply.lines.dropFirst().compactMap { line in
            // The old form `AUTH=LOGIN PLAIN` (some servers still send it) is the AUTH keyword too.
            let normalized = line.uppercased().hasPrefix("AUTH=") ? "AUTH " + line.dropFirst(5) : Substring(line)
            let words = normalized.split(separator: " ").map(String.init)
            guard let keyword = words.first else { return nil }
            return Extension(keyword: keyword.uppercased(), parameters: Array(words.dropFirst()))
        }
    }

    /// True when the keyword was advertised.
    public func supports(_ keyword: String) -> Bool {
        let wanted = keyword.uppercased()
        return extensions.contains { $0.keyword == wanted }
    }

    /// The parameters of every occurrence of a keyword, joined in order; nil when not advertised.
    public func parameters(of keyword: String) -> [String]? {
        let wanted = keyword.uppercased()
        let matching = extensions.filter { $0.keyword == wanted }
        return matching.isEmpty ? nil : matching.flatMap(\.parameters)
    }

    /// The SIZE limit in octets; nil when SIZE is not advertised, 0 when advertised without a limit.
    public var size: Int? {
        guard let parameters = parameters(of: "SIZE") else { return nil }
        return parameters.first.flatMap { Int($0) } ?? 0
    }

    /// The AUTH mechanisms, upper-cased, without duplicates, from both `AUTH x` and `AUTH=x` lines.
    public var authMechanisms: [String] {
        var seen: Set<String> = []
        return (parameters(of: "AUTH") ?? []).map { $0.uppercased() }.filter { seen.insert($0).inserted }
    }

    /// PIPELINING (RFC 2920).
    public var pipelining: Bool { supports("PIPELINING") }
    /// STARTTLS (RFC 3207).
    public var startTLS: Bool { supports("STARTTLS") }
    /// 8BITMIME (RFC 6152).
    public var eightBitMIME: Bool { supports("8BITMIME") }
    /// BINARYMIME (RFC 3030).
    public var binaryMIME: Bool { supports("BINARYMIME") }
    /// CHUNKING (RFC 3030).
    public var chunking: Bool { supports("CHUNKING") }
    /// SMTPUTF8 (RFC 6531).
    public var smtpUTF8: Bool { supports("SMTPUTF8") }
    /// DSN (RFC 3461).
    public var dsn: Bool { supports("DSN") }
    /// ENHANCEDSTATUSCODES (RFC 2034).
    public var enhancedStatusCodes: Bool { supports("ENHANCEDSTATUSCODES") }

    /// Keywords this library does not interpret, kept for the caller.
    public var unknownKeywords: [String] {
        extensions.map(\.keyword).filter { !Self.knownKeywords.contains($0) && !$0.hasPrefix("AUTH=") }
    }
}
