import ArgumentParser
import Foundation
import TrustStore

/// `smtp-wallet export`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the trusted certificates as a PEM bundle (never the private key).",
        discussion: "The bundle works as a CA file for other tools: `openssl s_client -CAfile`, curl --cacert, smtp-repl's trust.")

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The file to write; standard output by default.", valueName: "FILE"))
    var output: String?

    func run() throws {
        try Failure.guarding {
            let opened = try WalletAccess.openForReading(wallet.path, password: try password.forOpening(wallet.path))
            let pem = opened.pemBundle()
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(pem.utf8)) else {
                    throw CLIError("cannot write \(output)")
                }
                Output.note("wrote \(opened.trustedDER.count) certificate(s) to \(output)")
            } else {
                print(pem, terminator: "")
            }
        }
    }
}
