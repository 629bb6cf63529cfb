import TrustStore

/// RelayUsers are the wallet's relay-user credentials by login name: who may submit through
/// `mail-queue relay`, with which envelope senders, sent upstream with which credential.
public struct RelayUsers: Sendable {
    /// The users by login name.
    public let byLogin: [String: WalletCredential]

    /// The relay users of `wallet`.
    public init(wallet: Wallet) {
        var byLogin: [String: WalletCredential] = [:]
        for credential in wallet.credentials where credential.kind == .relayUser {
            byLogin[credential.loginName] = credential
        }
        self.byLogin = byLogin
    }

    /// Creates the set from credentials (tests).
    public init(_ credentials: [WalletCredential]) {
        self.byLogin = Dictionary(credentials.map { ($0.loginName, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The user `login` when `password` is theirs; nil otherwise. An unknown user costs the
    /// same slow hash as a known one, so timing does not tell which names exist.
    public func check(login: String, password: String) -> WalletCredential? {
        guard let user = byLogin[login] else {
            _ = RelayPassword.verify(password, against: Self.decoy)
            return nil
        }
        return RelayPassword.verify(password, against: user.secret.revealed) ? user : nil
    }

    /// The user `login` when `digest` answers CRAM-MD5's `challenge` with the password whose
    /// HMAC-MD5 context the user keeps (`--cram-md5`); nil otherwise, and for a user without one.
    public func checkCramMD5(login: String, challenge: String, digest: String) -> WalletCredential? {
        guard let user = byLogin[login], let context = user.cramMD5Context else {
            _ = RelayCramMD5.verify(challenge: challenge, digest: digest, against: Self.decoyCramMD5)
            return nil
        }
        return RelayCramMD5.verify(challenge: challenge, digest: digest, against: context.revealed) ? user : nil
    }

    /// True when CRAM-MD5 can succeed for every user (each has a CRAM-MD5 context): only then
    /// does the relay offer it, so that no client that prefers it (UTL_SMTP, smtplib) picks a
    /// mechanism its user cannot pass.
    public var allHaveCramMD5: Bool { !byLogin.isEmpty && byLogin.values.allSatisfy { $0.cramMD5Context != nil } }

    /// The users without a CRAM-MD5 context, by login name, sorted.
    public var withoutCramMD5: [String] { byLogin.filter { $0.value.cramMD5Context == nil }.keys.sorted() }

    /// The upstream credential aliases the users need, plus `fallback`.
    public func upstreamAliases(fallback: String?) -> [String] {
        var aliases = Set(byLogin.values.compactMap(\.upstream))
        if let fallback { aliases.insert(fallback) }
        return aliases.sorted()
    }

    private static let decoy: String = (try? RelayPassword.hash("decoy")) ?? ""
    private static let decoyCramMD5 = RelayCramMD5.context("decoy")
}
