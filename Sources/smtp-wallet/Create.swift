import ArgumentParser
import TrustStore

/// `smtp-wallet create`.
struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an empty wallet (directory mode 0700, ewallet.p12 mode 0600).",
        discussion: "With --auto-login the wallet has no password, like Oracle's cwallet.sso; protect it with file permissions.")

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    func run() throws {
        try Failure.guarding {
            let created = try Wallet.create(wallet.path, password: try password.forCreating())
            Output.line("created \(created.pkcs12Path)")
        }
    }
}
