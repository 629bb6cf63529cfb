/// WalletError is what goes wrong with a wallet: where it is, what could not be read or
/// written, and why. Its description never holds a password or a private key.
public struct WalletError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Kind says what went wrong.
    public enum Kind: Sendable, Equatable {
        /// The wallet directory (or a file named on the command line) does not exist.
        case notFound
        /// A wallet already exists where one was to be created.
        case alreadyExists
        /// The password does not open the wallet (the PKCS#12 MAC did not verify).
        case wrongPassword
        /// A file is not what it claims to be: not PKCS#12, not PEM/DER, not JSON.
        case corrupt
        /// The file system refused a read, write, rename or lock.
        case io
        /// The caller asked for something that cannot be done (unknown fingerprint, bad path form).
        case invalidArgument
        /// A certificate chain did not verify, so nothing from it was trusted.
        case verificationFailed
        /// Talking to a server (for renewal) failed.
        case network
        /// The wallet's directory or files let others change what it trusts or read its secrets.
        case insecure
    }

    /// What went wrong.
    public let kind: Kind
    /// A sentence naming the file or certificate and the reason.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message, prefixed with the kind.
    public var description: String { "wallet: \(message)" }
}
