import SMTPConversation

extension Session {
    /// The trust for `wallet_path=`: the wallet's certificates.
    func walletTrust(path: String, password: String?) throws(ScriptError) -> TrustSource {
        throw ScriptError(exitCode: 2, message: "open_connection: wallet_path= needs the TrustStore wallet (not built yet); use trust=PEM")
    }
}
