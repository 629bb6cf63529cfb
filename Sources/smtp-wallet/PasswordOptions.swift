import ArgumentParser
import Foundation
import TrustStore

/// PasswordOptions are the ways to give the wallet's password; argv only with a second flag.
struct PasswordOptions: ParsableArguments {
    @Option(name: .customLong("password-env"), help: ArgumentHelp("Read the password from this environment variable.", valueName: "NAME"))
    var passwordEnvironment: String?

    @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from the first line of this file.", valueName: "FILE"))
    var passwordFile: String?

    @Option(name: .customLong("password"), help: ArgumentHelp(
        "The password itself (visible to other users in the process list); needs --insecure-password-on-command-line.",
        valueName: "PASSWORD"))
    var password: String?

    @Flag(name: .customLong("insecure-password-on-command-line"), help: "Allow --password.")
    var allowArgv = false

    @Flag(name: .customLong("auto-login"), help: "The wallet has no password (auto-login; the file is mode 0600).")
    var autoLogin = false

    func validate() throws {
        if password != nil && !allowArgv {
            throw ValidationError("--password puts the secret in the process list; use --password-env or --password-file, or add --insecure-password-on-command-line")
        }
        let given = [passwordEnvironment != nil, passwordFile != nil, password != nil, autoLogin].filter { $0 }.count
        if given > 1 { throw ValidationError("give only one of --password-env, --password-file, --password and --auto-login") }
    }

    /// The password given by a flag, nil when none was.
    func explicit() throws -> String? {
        if autoLogin { return "" }
        if let password { return password }
        if let name = passwordEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name] else {
                throw CLIError("the environment variable \(name) (from --password-env) is not set")
            }
            return value
        }
        if let file = passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read the password file \(file)") }
            return firstLine(of: data)
        }
        return nil
    }

    /// The password for an existing wallet: a flag's, else empty (auto-login), else a prompt.
    func forOpening(_ walletPath: String) throws -> String {
        if let value = try explicit() { return value }
        if Self.opensWithoutPassword(walletPath) { return "" }
        return try Prompt.secret("Password for the wallet \(walletPath): ")
    }

    /// True unless the wallet exists and needs a password (other problems surface when it is opened).
    static func opensWithoutPassword(_ walletPath: String) -> Bool {
        let result = Result { () throws(WalletError) -> Wallet in try Wallet.open(walletPath, password: "", permissions: .warn) }
        if case .failure(let error) = result, error.kind == .wrongPassword { return false }
        return true
    }

    /// The password for a new wallet: a flag's, else asked twice.
    func forCreating() throws -> String {
        if let value = try explicit() { return value }
        let first = try Prompt.secret("New wallet password (empty for auto-login): ")
        let second = try Prompt.secret("Repeat it: ")
        guard first == second else { throw CLIError("the two passwords differ; nothing was created") }
        return first
    }
}

/// WalletOption is `--wallet`, shared by every subcommand.
struct WalletOption: ParsableArguments {
    @Option(name: [.customLong("wallet"), .customShort("w")], help: ArgumentHelp(
        "The wallet: a directory, file:DIR, file:c:/dir or file:///dir.", valueName: "WALLET_PATH"))
    var path: String
}

/// CLIError is a message for the user (exit status 2).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The first line of a secret file, without its line end (LF or CRLF).
func firstLine(of data: Data) -> String {
    // Split on scalars: in Swift "\r\n" is one Character, so a CRLF file would not split on "\n".
    let text = String(decoding: data, as: UTF8.self)
    let line = text.unicodeScalars.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first
    return String(String.UnicodeScalarView(line ?? Substring.UnicodeScalarView()))
        .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
}
