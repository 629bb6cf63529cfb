/// RelayedClaim says which relayed requests (raw messages with a send pattern: the relay stores
/// each with the upstream credential alias that must deliver it) a claim may take. A raw
/// message enqueued without a pattern (through the library) is not a relayed one.
///
/// The rule: a relayed request goes out only through a sender whose credential is its
/// upstream's. A sender with a wallet credential alias takes the relayed requests of that alias
/// (and every other request as before); a sender without one (a password, or no AUTH) takes no
/// relayed request at all. Without it a `send` with other credentials would deliver a relayed
/// message as someone else, or to a server that refuses it.
public enum RelayedClaim: Sendable, Equatable {
    /// Every request, relayed or not (operator tools, tests).
    case any
    /// No relayed request.
    case none
    /// Relayed requests only when their pattern is this upstream credential alias.
    case upstream(String)

    /// What a sender with `secret` may claim: `.upstream(alias)` for a wallet credential alias,
    /// else `.none`.
    public static func sender(secret: SMTPSettings.Secret?) -> RelayedClaim {
        if case .walletAlias(let alias)? = secret { return .upstream(alias) }
        return .none
    }

    /// The SQL condition (and its values) over the `raw` and `pattern` columns (quoted names);
    /// nil when every request qualifies.
    func condition(raw: String, pattern: String) -> (String, [SQLValue])? {
        switch self {
        case .any: return nil
        case .none: return ("(\(raw) IS NULL OR \(pattern) IS NULL)", [])
        case .upstream(let alias): return ("(\(raw) IS NULL OR \(pattern) IS NULL OR \(pattern) = ?)", [.text(alias)])
        }
    }
}
