import SMTPConversation

extension SMTPConnection {
    /// Opens a connection that trusts the wallet at `walletPath` (UTL_SMTP's `open_connection`
    /// with `wallet_path` and `wallet_password`).
    ///
    /// `walletPath` may be `file:/dir`, `file:relative/dir`, `file:c:/dir`, `file:///c:/dir` or a
    /// plain path. The wallet's certificates become `options.tls.trust`; a client identity in
    /// the wallet is presented for mutual TLS.
    /// - Parameter walletPassword: the wallet's password; nil or empty for an auto-login wallet.
    /// - Throws: `SMTPError` with kind `.tls` naming the wallet when it cannot be opened (no
    ///   directory, wrong password, corrupt file), otherwise as `openConnection`.
    public static func openConnection(
        host: String, port: Int = 25, txTimeout: Double? = nil, walletPath: String, walletPassword: String? = nil,
        secureConnectionBeforeSMTP: Bool = false, secureHost: String? = nil, options: Options = Options()
    ) throws(SMTPError) -> SMTPConnection {
        let wallet: Wallet
        do {
            wallet = try Wallet.open(walletPath, password: walletPassword ?? "", readingManifest: false)
        } catch {
            throw SMTPError(.tls("cannot open the wallet: \(error.message)"),
                            context: SMTPError.Context(host: host, port: port, step: "open_connection"))
        }
        var options = options
        options.tls.trust = .provider(wallet)
        return try openConnection(
            host: host, port: port, txTimeout: txTimeout, secureConnectionBeforeSMTP: secureConnectionBeforeSMTP,
            secureHost: secureHost, options: options)
    }
}
