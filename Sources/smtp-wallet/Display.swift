import ArgumentParser
import TrustStore

/// `smtp-wallet display`.
struct Display: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the wallet: subject, issuer, validity, days left, fingerprint and source of each certificate.")

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    func run() throws {
        try Failure.guarding {
            let secret = try password.forOpening(wallet.path)
            let opened = try WalletAccess.openForReading(wallet.path, password: secret)
            let now = WallClock.now()
            let certificates = opened.certificates
            Output.line("Wallet \(opened.directory) (\(secret.isEmpty ? "auto-login" : "password-protected")): "
                + "\(certificates.count) trusted certificate(s)\(opened.identity == nil ? "" : ", a client identity")")
            if let identity = opened.identity, let certificate = WalletCertificate(der: identity.certificate) {
                Output.line("\nClient identity (certificate and private key):")
                Output.line(Self.describe(certificate, entry: opened.manifest.certificates[certificate.fingerprint], now: now))
            }
            for certificate in certificates.sorted(by: { $0.info.subject < $1.info.subject }) {
                Output.line("")
                Output.line(Self.describe(certificate, entry: certificate.entry, now: now))
            }
            for host in opened.manifest.hosts {
                Output.line("\nHost \(host.address)\(host.starttls ? " (STARTTLS)" : ""): verified \(WalletDates.iso8601(host.verified)), needs \(host.needs.count) certificate(s)")
            }
        }
    }

    static func describe(_ certificate: WalletCertificate, entry: Manifest.Entry?, now: Double) -> String {
        let left = certificate.daysLeft(now: now)
        let state: String
        switch certificate.validity(now: now) {
        case .expired: state = "EXPIRED \(-left) day(s) ago"
        case .notYetValid: state = "NOT YET VALID: starts in \(certificate.daysUntilValid(now: now)) day(s)"
        case .valid: state = "\(left) day(s) left"
        }
        let source = entry.map { "\($0.source) (renewal: \($0.renewal.rawValue), added \(WalletDates.iso8601($0.added)))" } ?? "unknown (not in the manifest)"
        return """
              Subject:  \(certificate.info.subject)
              Issuer:   \(certificate.info.issuer)
              Valid:    \(WalletDates.iso8601(certificate.info.notBefore)) to \(WalletDates.iso8601(certificate.info.notAfter)) (\(state))
              SHA-256:  \(certificate.fingerprint)
              Source:   \(source)
            """
    }
}
