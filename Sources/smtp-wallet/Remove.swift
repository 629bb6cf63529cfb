import ArgumentParser
import TrustStore

/// `smtp-wallet remove`.
struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop trusting certificates, named by SHA-256 fingerprint (or a unique prefix), subject or common name.")

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Argument(help: ArgumentHelp("Fingerprints, subjects (CN=…,O=…) or common names.", valueName: "SELECTOR"))
    var selectors: [String] = []

    @Flag(help: "Remove the client identity (certificate and key).")
    var identity = false

    func validate() throws {
        if selectors.isEmpty && !identity { throw ValidationError("name a certificate to remove, or give --identity") }
    }

    func run() throws {
        try Failure.guarding {
            let selectors = selectors, identity = identity
            let removed = try Wallet.modify(wallet.path, password: try password.forOpening(wallet.path), hooks: WalletAccess.hooks) { wallet throws(WalletError) in
                try Self.remove(selectors, identity: identity, from: &wallet)
            }
            for certificate in removed { Output.line("removed \(certificate.info.subject) (\(certificate.fingerprint))") }
            if identity { Output.line("removed the client identity") }
        }
    }

    static func remove(_ selectors: [String], identity: Bool, from wallet: inout Wallet) throws(WalletError) -> [WalletCertificate] {
        var removed: [WalletCertificate] = []
        for selector in selectors { removed += try wallet.remove(matching: selector) }
        if identity { wallet.removeIdentity() }
        return removed
    }
}
