import SMTPConversation

extension Wallet {
    /// The credential stored under `alias`.
    /// - Throws: `WalletError.notFound` naming the aliases the wallet does hold.
    public func credential(_ alias: String) throws(WalletError) -> WalletCredential {
        if let found = credentials.first(where: { $0.alias == alias }) { return found }
        let known = credentials.map(\.alias)
        throw WalletError(.notFound, "the wallet \(directory) holds no credential '\(alias)'"
            + (known.isEmpty ? "; add one with `smtp-wallet credential add`" : " (it holds: \(known.joined(separator: ", ")))"))
    }

    /// Stores `credential` under its alias, replacing any credential with that alias.
    /// - Throws: `WalletError.invalidArgument` when the credential is incomplete (see `WalletCredential.validate`).
    public mutating func setCredential(_ credential: WalletCredential) throws(WalletError) {
        try credential.validate()
        credentials.removeAll { $0.alias == credential.alias }
        credentials.append(credential)
        credentials.sort { $0.alias < $1.alias }
    }

    /// Replaces only the secret of the credential `alias` (a rotated refresh token).
    /// - Throws: `WalletError.notFound` when the alias is gone (removed meanwhile).
    public mutating func updateSecret(of alias: String, to secret: String, now: Double = WallClock.now()) throws(WalletError) {
        var updated = try credential(alias)
        updated.secret = SecretText(secret)
        updated.updated = now
        try setCredential(updated)
    }

    /// Removes the credential `alias`.
    /// - Returns: the removed credential.
    /// - Throws: `WalletError.notFound` when there is none.
    @discardableResult
    public mutating func removeCredential(_ alias: String) throws(WalletError) -> WalletCredential {
        let removed = try credential(alias)
        credentials.removeAll { $0.alias == alias }
        return removed
    }
}
