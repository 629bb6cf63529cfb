import SMTPConversation
import TrustStore

extension Session {
    /// The trust for `wallet_path=`: the wallet's certificates (and client identity for mutual TLS).
    func walletTrust(path: String, password: String?) throws(ScriptError) -> TrustSource {
        do {
            return .provider(try Wallet.open(path, password: password ?? ""))
        } catch {
            throw ScriptError(exitCode: 2, message: "open_connection: wallet_path=\(path): \(error)")
        }
    }
}
