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

    /// The upstream credential aliases the users need, plus `fallback`.
    public func upstreamAliases(fallback: String?) -> [String] {
        var aliases = Set(byLogin.values.compactMap(\.upstream))
        if let fallback { aliases.insert(fallback) }
        return aliases.sorted()
    }

    private static let decoy: String = (try? RelayPassword.hash("decoy")) ?? ""
}
