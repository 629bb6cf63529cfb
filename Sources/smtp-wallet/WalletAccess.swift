import TrustStore

/// WalletAccess opens the wallet for the commands that only read it, and passes what a change
/// learns about the wallet on to the user: both print `Wallet.warnings` on stderr.
enum WalletAccess {
    /// Opens the wallet for reading: unsafe permissions are a warning here (the command shows
    /// what is in it and changes nothing); everything that trusts or changes it refuses them.
    static func openForReading(_ path: String, password: String) throws(WalletError) -> Wallet {
        let opened = try Wallet.open(path, password: password, permissions: .warn)
        for warning in opened.warnings { note(warning) }
        return opened
    }

    /// Hooks for `Wallet.modify` that print its warnings.
    static var hooks: WriteHooks { WriteHooks(warning: { note($0) }) }

    private static func note(_ warning: String) { Output.note("smtp-wallet: warning: \(warning)") }
}
