import Foundation

/// Manifest is the wallet's `manifest.json`: for each certificate (by SHA-256 fingerprint),
/// where it came from and how it is renewed, and the hosts the wallet is configured for.
///
/// It names the `ewallet.p12` it was written with by its SHA-256 (`pkcs12SHA256`), so a
/// manifest left over from before a crash, or beside a PKCS#12 restored from its backup, is
/// recognised and the matching one used instead (see `ManifestBinding`). The PKCS#12 file is
/// the truth: entries for certificates no longer in it are ignored, and certificates without
/// an entry show the source "unknown".
public struct Manifest: Codable, Sendable, Equatable {
    /// How a certificate is kept current.
    public enum Renewal: String, Codable, Sendable {
        /// From a PEM bundle (`renew --from-bundle`).
        case bundle
        /// From what a server presents (`renew --from-server`).
        case server
        /// By hand (`add`); renewal may still replace it from a bundle.
        case manual
    }

    /// What the wallet knows about one certificate.
    public struct Entry: Codable, Sendable, Equatable {
        /// Where it came from: a file path, `bundle:PATH`, `server:HOST:PORT`, `pkcs12:PATH`.
        public var source: String
        /// How it is renewed.
        public var renewal: Renewal
        /// When it was added, seconds since 1970.
        public var added: Double
        /// The fingerprint of the certificate it replaced, if it came from a renewal.
        public var replaces: String?

        /// Creates an entry.
        public init(source: String, renewal: Renewal, added: Double, replaces: String? = nil) {
            self.source = source
            self.renewal = renewal
            self.added = added
            self.replaces = replaces
        }
    }

    /// A server the wallet must be able to verify; `check` looks at the certificates it needs.
    public struct Host: Codable, Sendable, Equatable {
        /// The host name.
        public var host: String
        /// The port.
        public var port: Int
        /// STARTTLS (true) or implicit TLS (false).
        public var starttls: Bool
        /// Fingerprints of the wallet certificates its chain verified through (anchor last).
        public var needs: [String]
        /// When the chain was last verified, seconds since 1970.
        public var verified: Double

        /// Creates a host entry.
        public init(host: String, port: Int, starttls: Bool, needs: [String], verified: Double) {
            self.host = host
            self.port = port
            self.starttls = starttls
            self.needs = needs
            self.verified = verified
        }

        /// `host:port`.
        public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The format version: 2 names its PKCS#12 file; 1 (earlier versions) does not, and is
    /// rewritten as 2 by the next change.
    public var version: Int = 2
    /// The SHA-256 (hex) of the `ewallet.p12` this manifest was written with; nil in version 1.
    public var pkcs12SHA256: String?
    /// Entries by fingerprint (`AB:CD:…`).
    public var certificates: [String: Entry] = [:]
    /// Configured hosts.
    public var hosts: [Host] = []

    /// An empty manifest.
    public init() {}

    static func decode(_ bytes: [UInt8], origin: String) throws(WalletError) -> Manifest {
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw WalletError(.corrupt, "\(origin) is not a wallet manifest: \(JSONProblem.describe(error, in: bytes))")
        }
    }

    func encoded() throws(WalletError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            return Array(try encoder.encode(self)) + [0x0A]
        } catch {
            throw WalletError(.io, "cannot encode the manifest: \(error)")
        }
    }
}
