import TrustStore

/// WalletCheck looks at a wallet when a sender starts: certificates expiring within `days`, or
/// not valid yet.
public enum WalletCheck {
    /// Warnings (one line each) for certificates the wallet's hosts need that expire within
    /// `days` days or are not valid yet, or why the wallet could not be opened. Empty when all
    /// is well.
    public static func warnings(walletPath: String, password: String, days: Int = 30) -> [String] {
        do {
            let wallet = try Wallet.open(walletPath, password: password)
            return wallet.expiryReport(days: days).items.filter(\.failsCheck).map {
                $0.isNotYetValid && !$0.isFailing
                    ? "wallet certificate \($0.certificate.info.subject) is not valid yet (a TLS handshake needing it fails)"
                    : "wallet certificate \($0.certificate.info.subject) expires in \($0.daysLeft) day(s)"
            }
        } catch {
            return ["cannot check the wallet \(walletPath): \(error)"]
        }
    }

    /// Every certificate of the wallet with its days left, for `/metrics`; nil when the wallet
    /// cannot be opened.
    public static func certificates(walletPath: String, password: String) -> [SenderMetrics.Certificate]? {
        guard let wallet = try? Wallet.open(walletPath, password: password) else { return nil }
        return wallet.expiryReport().items.map { SenderMetrics.Certificate(subject: $0.certificate.info.subject, daysLeft: $0.daysLeft) }
    }
}
