import ArgumentParser
import Foundation
import TrustStore

/// `smtp-wallet add`.
struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Trust certificates from PEM or DER files, bundles or directories; or store a client identity.",
        discussion: """
            Each FILE may be one PEM or DER certificate, a PEM bundle, or a directory of \
            *.pem/*.crt/*.cer/*.der files. Certificates already trusted are skipped. A certificate that \
            has expired or is not valid yet is added with a warning on stderr (`check` fails for it). (A PKCS#12 made \
            by `openssl pkcs12 -export -nokeys` is a wallet already: name it DIR/ewallet.p12.)
            With --identity CERT --key KEY the wallet keeps a client certificate and key for mutual TLS.
            """)

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Argument(help: ArgumentHelp("Certificate files, bundles or directories.", valueName: "FILE"))
    var files: [String] = []

    @Option(help: ArgumentHelp("A client certificate (PEM or DER) for mutual TLS.", valueName: "CERT"))
    var identity: String?

    @Option(help: ArgumentHelp("The client certificate's private key (unencrypted PEM).", valueName: "KEY"))
    var key: String?

    func validate() throws {
        if files.isEmpty && identity == nil { throw ValidationError("name at least one certificate file, or --identity and --key") }
        if (identity == nil) != (key == nil) { throw ValidationError("--identity and --key go together") }
    }

    func run() throws {
        try Failure.guarding {
            let secret = try password.forOpening(wallet.path)
            let sources = try files.map { file in (file, try Self.read(file)) }
            var identityParts: ([UInt8], String)?
            if let identity, let key {
                guard let der = try CertificateReader.certificates(atPath: identity).first?.der else {
                    throw CLIError("\(identity) holds no certificate")
                }
                guard let keyData = FileManager.default.contents(atPath: key) else { throw CLIError("cannot read the key file \(key)") }
                identityParts = (der, String(decoding: keyData, as: UTF8.self))
            }
            let added = try Wallet.modify(wallet.path, password: secret, hooks: WalletAccess.hooks) { wallet throws(WalletError) in
                var added: [WalletCertificate] = []
                for (_, certificates) in sources {
                    for certificate in certificates {
                        added += try wallet.add([certificate.der], source: certificate.file)
                    }
                }
                if let identityParts {
                    try wallet.setIdentity(certificate: identityParts.0, privateKeyPEM: identityParts.1, source: identity ?? "")
                }
                return added
            }
            let now = WallClock.now()
            for certificate in added {
                Output.line("added \(certificate.info.subject) (\(certificate.fingerprint))")
                let file = certificate.entry?.source ?? ""
                if let warning = Self.validityWarning(certificate, file: file, now: now) { Output.note(warning) }
            }
            let skipped = sources.reduce(0) { $0 + $1.1.count } - added.count
            if skipped > 0 { Output.line("skipped \(skipped) already trusted") }
            if let identityParts, let identity {
                Output.line("stored the client identity from \(identity)")
                if let certificate = WalletCertificate(der: identityParts.0),
                    let warning = Self.validityWarning(certificate, file: identity, now: now)
                {
                    Output.note(warning)
                }
            }
        }
    }

    /// The warning for a certificate outside its validity at `now`; nil when it is valid.
    ///
    /// The warning names the file and the dates. The certificate is still added: the user asked
    /// for it, and `check` and `display` keep saying what is wrong with it.
    static func validityWarning(_ certificate: WalletCertificate, file: String, now: Double) -> String? {
        let info = certificate.info
        let validity = "valid \(WalletDates.iso8601(info.notBefore)) to \(WalletDates.iso8601(info.notAfter))"
        let problem: String
        switch certificate.validity(now: now) {
        case .expired: problem = "has expired (\(validity))"
        case .notYetValid: problem = "is not valid yet (\(validity))"
        case .valid: return nil
        }
        return "smtp-wallet: warning: \(file): \(info.subject) \(problem); added anyway, but TLS through it fails "
            + "and `smtp-wallet check` reports it"
    }

    /// A file's or directory's certificates.
    static func read(_ file: String) throws -> [(der: [UInt8], file: String)] {
        try CertificateReader.certificates(atPath: file)
    }
}
