import TrustStore

/// RelayUpstream checks the `--upstream` a relay user names: it must be a credential already in
/// the wallet, and one that sends (a password or an OAuth2 credential), not another relay user.
enum RelayUpstream {
    /// Throws `WalletError.invalidArgument` naming the alias and what is wrong with it.
    static func check(_ upstream: String, in wallet: Wallet, for alias: String) throws(WalletError) {
        guard upstream != alias else {
            throw WalletError(.invalidArgument, "--upstream \(upstream): a relay user cannot send upstream as itself; name the credential that sends (e.g. an Office365 client-secret)")
        }
        guard let found = wallet.credentials.first(where: { $0.alias == upstream }) else {
            let senders = wallet.credentials.filter { $0.kind != .relayUser }.map(\.alias).sorted()
            throw WalletError(.invalidArgument, "--upstream \(upstream): no credential of that name in the wallet; add it first (smtp-wallet credential add \(upstream) …)"
                + (senders.isEmpty ? "" : "; credentials that can send: \(senders.joined(separator: ", "))"))
        }
        guard found.kind != .relayUser else {
            throw WalletError(.invalidArgument, "--upstream \(upstream): that credential is a relay user, not one that sends upstream")
        }
    }
}
