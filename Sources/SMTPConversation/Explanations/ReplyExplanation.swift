/// ReplyContext is what the client had done when a reply came: which server it talked to,
/// whether the connection was in TLS, whether AUTH had succeeded, which command the reply
/// answers and with which AUTH mechanism. An explanation reads it so that it never gives advice
/// the client already followed (a client in TLS is never told to start TLS), nor a vendor's
/// reading of a reply another server sent.
public struct ReplyContext: Sendable, Equatable {
    /// True in TLS, false in plaintext, nil when not known (e.g. `smtp-repl explain` without `--tls`).
    public var inTLS: Bool?
    /// True once AUTH succeeded, false before, nil when not known.
    public var authenticated: Bool?
    /// The command the reply answers, upper-cased (`AUTH`, `MAIL`, `DATA`…), nil when not known.
    public var command: String?
    /// The AUTH mechanism used (`XOAUTH2`, `LOGIN`, `PLAIN`…), nil when not known.
    public var mechanism: String?
    /// The server's host name as the client named it (`smtp.gmail.com`), nil when not known.
    public var host: String?

    /// Creates a context; every field defaults to "not known".
    public init(inTLS: Bool? = nil, authenticated: Bool? = nil, command: String? = nil, mechanism: String? = nil,
                host: String? = nil) {
        self.inTLS = inTLS
        self.authenticated = authenticated
        self.command = command?.uppercased()
        self.mechanism = mechanism?.uppercased()
        self.host = host
    }

    /// True when `host` is `domain` or a name under it.
    func hostIs(under domain: String) -> Bool {
        guard let host = host?.lowercased() else { return false }
        return host == domain || host.hasSuffix("." + domain)
    }

    /// True when the client used OAuth2 (XOAUTH2 or OAUTHBEARER).
    var usedOAuth2: Bool { mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER" }
    /// True when the client used a password mechanism.
    var usedPassword: Bool { mechanism.map { ["LOGIN", "PLAIN", "CRAM-MD5"].contains($0) } ?? false }
}

/// ReplyExplanation says why a server refused and what to do, as the vendor documents it.
public struct ReplyExplanation: Sendable, Equatable, CustomStringConvertible {
    /// A stable name of the catalogue entry, e.g. `office365.5.7.139.tenant`; scripts and tests match on it.
    public let id: String
    /// Whose reply it is: `Office365`, `Gmail`, `Postfix`, `Exim`, or `RFC 3463` for the generic meaning.
    public let vendor: String
    /// Why the server said it.
    public let cause: String
    /// What to do about it; nil when there is nothing the client can do.
    public let fix: String?
    /// Where the vendor documents the reply.
    public let source: String?

    /// Creates an explanation.
    public init(id: String, vendor: String, cause: String, fix: String?, source: String?) {
        self.id = id
        self.vendor = vendor
        self.cause = cause
        self.fix = fix
        self.source = source
    }

    /// `cause; fix: …` on one line.
    public var description: String { cause + (fix.map { "; fix: " + $0 } ?? "") }
}

extension Reply {
    /// The explanation of this reply (nil for a success or an unknown refusal): the vendor
    /// catalogue first, read by code, enhanced status code and text, then RFC 3463's meaning
    /// of the enhanced status code, then RFC 5321's (or RFC 4954's) meaning of the basic code.
    public func explanation(context: ReplyContext = ReplyContext()) -> ReplyExplanation? {
        guard isFailure else { return nil }
        return ReplyCatalogue.explain(code: code, text: lines.joined(separator: " "), context: context)
    }
}

/// ReplyCatalogue matches a refusal against the vendors' documented replies.
public enum ReplyCatalogue {
    /// The explanation of a refusal given as its code and text (the text may start with the
    /// enhanced status code, as a reply line does); nil for a success or an unknown refusal.
    /// - Parameters:
    ///   - code: the three-digit reply code; nil when only the enhanced code is known.
    ///   - text: the reply's text (all lines joined); may be empty.
    ///   - context: what the client had done.
    public static func explain(code: Int?, text: String, context: ReplyContext = ReplyContext()) -> ReplyExplanation? {
        let status = EnhancedStatusCode(prefixOf: text)
        // Only refusals are explained: a 2xx/3xx (or a 2.x.x status) needs none.
        if let code, code < 400 { return nil }
        if let status, status.statusClass == 2 { return nil }
        let lowered = text.lowercased()
        for entry in entries where entry.matches(code: code, status: status, text: lowered, context: context) {
            return entry.explanation(context)
        }
        if let status, let meaning = status.explanation {
            return ReplyExplanation(id: "rfc3463.\(status.subject).\(status.detail)", vendor: "RFC 3463", cause: meaning, fix: nil,
                                    source: "https://www.rfc-editor.org/rfc/rfc3463")
        }
        guard let code, let basic = ReplyCodeMeanings.meaning(of: code) else { return nil }
        let rfc = basic.source.contains("4954") ? "4954" : "5321"
        return ReplyExplanation(id: "rfc\(rfc).\(code)", vendor: "RFC \(rfc)", cause: basic.cause, fix: nil, source: basic.source)
    }

    /// Every entry's id, for tests and documentation.
    public static var ids: [String] { entries.map(\.id) }
}

/// One documented reply: what it looks like and what it means.
struct CatalogueEntry: Sendable {
    let id: String
    let vendor: String
    /// Reply codes it comes with (empty: any).
    let codes: Set<Int>
    /// The enhanced status code, `5.7.139`; nil: any or none.
    let status: String?
    /// Lower-case fragments that must all appear in the text (empty: any text).
    let phrases: [String]
    /// Whether the reply is this vendor's, for a text other servers send too: given the
    /// lower-cased text and the context (nil: any server's).
    let sender: (@Sendable (String, ReplyContext) -> Bool)?
    let source: String?
    /// Cause and fix, which may depend on what the client did.
    let explain: @Sendable (ReplyContext) -> (cause: String, fix: String?)

    init(_ id: String, _ vendor: String, codes: Set<Int> = [], status: String? = nil, phrases: [String] = [],
         sender: (@Sendable (String, ReplyContext) -> Bool)? = nil, source: String?,
         _ explain: @escaping @Sendable (ReplyContext) -> (cause: String, fix: String?)) {
        self.id = id
        self.vendor = vendor
        self.codes = codes
        self.status = status
        self.phrases = phrases
        self.sender = sender
        self.source = source
        self.explain = explain
    }

    func matches(code: Int?, status: EnhancedStatusCode?, text: String, context: ReplyContext) -> Bool {
        if let code, !codes.isEmpty, !codes.contains(code) { return false }
        if code == nil, status == nil, self.status != nil { return false }
        if let wanted = self.status, status?.description != wanted { return false }
        guard phrases.allSatisfy({ text.contains($0) }) else { return false }
        return sender?(text, context) ?? true
    }

    func explanation(_ context: ReplyContext) -> ReplyExplanation {
        let (cause, fix) = explain(context)
        return ReplyExplanation(id: id, vendor: vendor, cause: cause, fix: fix, source: source)
    }
}
