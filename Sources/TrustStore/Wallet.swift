/// Wallet is a directory holding `ewallet.p12` (PKCS#12, password-protected; an auto-login
/// wallet has an empty password and mode 0600, like Oracle's `cwallet.sso`) and
/// `manifest.json` (each certificate's source and renewal, the configured hosts).
///
/// A `Wallet` value is a snapshot: `open` reads one, `modify` changes the one on disk under a
/// lock and writes it back atomically (new file, fsync, rename, the previous file kept as
/// `ewallet.p12.bak`). `openssl pkcs12 -in ewallet.p12 -nokeys` lists what it trusts, and a
/// file made by `openssl pkcs12 -export -nokeys` opens as a wallet.
///
/// ```swift
/// let wallet = try Wallet.open("file:/etc/smtp/wallet", password: "")
/// var options = SMTPConnection.Options()
/// options.tls.trust = .provider(wallet)
/// ```
public struct Wallet: Sendable {
    /// The PKCS#12 file's name inside the wallet directory.
    public static let fileName = "ewallet.p12"
    /// The manifest's name inside the wallet directory.
    public static let manifestName = "manifest.json"

    /// The wallet's directory.
    public let directory: String
    /// The trusted certificates (DER), in the order they are stored.
    public internal(set) var trustedDER: [[UInt8]]
    /// The client certificate and key for mutual TLS, if the wallet holds one.
    public internal(set) var identity: ClientIdentity?
    /// Named credentials (alias → user name and secret), sorted by alias; see `WalletCredential`.
    public internal(set) var credentials: [WalletCredential] = []
    /// Sources, renewal settings and configured hosts.
    public internal(set) var manifest: Manifest
    /// What a person should know about the wallet as it was opened: unsafe permissions (when
    /// opened with `WalletPermissions.Policy.warn`) or a manifest that did not belong to its
    /// `ewallet.p12`. Each is a sentence naming the file and the fix.
    public internal(set) var warnings: [String] = []
    /// How `manifest` was found (see `ManifestBinding`).
    var manifestState: ManifestBinding.State = .bound

    /// The path of `ewallet.p12`.
    public var pkcs12Path: String { directory + "/" + Self.fileName }
    /// The path of `manifest.json`.
    public var manifestPath: String { directory + "/" + Self.manifestName }

    /// The trusted certificates with their fields and manifest entries.
    public var certificates: [WalletCertificate] {
        trustedDER.compactMap { der in
            guard let certificate = WalletCertificate(der: der) else { return nil }
            return WalletCertificate(der: der, entry: manifest.certificates[certificate.fingerprint])
        }
    }

    init(directory: String, trustedDER: [[UInt8]], identity: ClientIdentity?, manifest: Manifest) {
        self.directory = directory
        self.trustedDER = trustedDER
        self.identity = identity
        self.manifest = manifest
    }

    /// Opens the wallet at `walletPath` (`file:DIR`, `file:c:/dir`, `file:///c:/dir` or a path).
    /// - Parameter password: the wallet's password; empty for an auto-login wallet.
    /// - Parameter readingManifest: false skips `manifest.json` (sources and hosts), which the TLS
    ///   transport does not need; the wallet then reports an empty manifest.
    /// - Parameter permissions: `.refuse` (the default) throws `.insecure` when the directory is
    ///   writable by its group or others, or `ewallet.p12` is readable by others or writable by
    ///   its group or others; `.warn` opens it and lists the problems in `warnings`.
    /// - Throws: `WalletError`: `.notFound` (no directory or no `ewallet.p12`), `.wrongPassword`,
    ///   `.corrupt` (not PKCS#12, or an unreadable manifest), `.insecure`.
    public static func open(
        _ walletPath: String, password: String = "", readingManifest: Bool = true,
        permissions: WalletPermissions.Policy = .refuse
    ) throws(WalletError) -> Wallet {
        let directory = try WalletLocation.directory(from: walletPath)
        guard FileSystem.isDirectory(directory) else {
            throw WalletError(.notFound, "no wallet directory at \(directory) (from wallet_path \(walletPath))")
        }
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { throw WalletError(.notFound, "no \(fileName) in \(directory)") }
        var warnings: [String] = []
        switch permissions {
        case .refuse: try WalletPermissions.refuseProblems(directory: directory)
        case .warn: warnings = WalletPermissions.problems(directory: directory)
        }
        let bytes = try FileSystem.read(path)
        let contents = try PKCS12Codec.read(bytes, password: password, origin: path)
        let (manifest, state) = readingManifest ? try ManifestBinding.read(for: bytes, in: directory) : (Manifest(), .bound)
        var wallet = Wallet(directory: directory, trustedDER: contents.certificates, identity: contents.identity, manifest: manifest)
        wallet.credentials = contents.credentials
        wallet.manifestState = state
        wallet.warnings = warnings + [ManifestBinding.warning(state, directory: directory)].compactMap { $0 }
            + (contents.isLegacy ? [LegacyPKCS12.warning(origin: path)] : [])
        return wallet
    }

    /// Creates an empty wallet in `walletPath` (making the directory, mode 0700; an existing
    /// directory of ours that its group or others could write to loses those write bits).
    /// - Parameter password: protects `ewallet.p12`; empty makes an auto-login wallet.
    /// - Throws: `WalletError.alreadyExists` when the directory already holds `ewallet.p12`;
    ///   `.insecure` when it is someone else's directory that others can write to.
    @discardableResult
    public static func create(_ walletPath: String, password: String) throws(WalletError) -> Wallet {
        let directory = try WalletLocation.directory(from: walletPath)
        try FileSystem.makeDirectory(directory)
        try WalletPermissions.secureForCreate(directory)
        let lock = try WalletLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let wallet = Wallet(directory: directory, trustedDER: [], identity: nil, manifest: Manifest())
        guard !FileSystem.exists(wallet.pkcs12Path) else {
            throw WalletError(.alreadyExists, "\(wallet.pkcs12Path) already exists; remove it or choose another directory")
        }
        try wallet.write(password: password, hooks: WriteHooks())
        return wallet
    }

    /// Changes the wallet on disk: takes the lock, reads the current contents, lets `change`
    /// edit them, and writes the result atomically. Two `modify` calls at once (threads or
    /// processes) run one after the other. When `change` throws, nothing is written. A manifest
    /// that did not belong to `ewallet.p12` (an interrupted change) or came from an earlier
    /// version is written back bound to it even when `change` changes nothing.
    /// - Returns: what `change` returned.
    /// - Throws: `WalletError.insecure` when the wallet's permissions are unsafe (see `open`).
    @discardableResult
    public static func modify<Result>(
        _ walletPath: String, password: String, hooks: WriteHooks = WriteHooks(),
        _ change: (inout Wallet) throws(WalletError) -> Result
    ) throws(WalletError) -> Result {
        let directory = try WalletLocation.directory(from: walletPath)
        guard FileSystem.isDirectory(directory) else {
            throw WalletError(.notFound, "no wallet directory at \(directory) (from wallet_path \(walletPath))")
        }
        try WalletPermissions.refuseProblems(directory: directory)
        let lock = try WalletLock(directory: directory, waiting: hooks.waitingForLock)
        defer { withExtendedLifetime(lock) {} }
        // Opened before the leftovers are swept: a manifest of an interrupted change is one of them.
        var wallet = try open(directory, password: password)
        for warning in wallet.warnings { hooks.warning?(warning) }
        let before = wallet
        let result = try change(&wallet)
        if wallet.trustedDER != before.trustedDER || wallet.manifest != before.manifest
            || wallet.identity?.certificate != before.identity?.certificate
            || wallet.identity?.privateKeyPEM != before.identity?.privateKeyPEM
            || wallet.credentials != before.credentials
        {
            try wallet.write(password: password, hooks: hooks)
        } else if wallet.manifestState != .bound {
            try wallet.writeManifest()
        }
        removeStaleTemporaries(in: directory)
        return result
    }

    /// Temporary files left by a writer that died before its rename (we hold the lock, so no
    /// live writer owns them).
    static func removeStaleTemporaries(in directory: String) {
        guard let names = try? FileSystem.list(directory) else { return }
        for name in names where name.contains(".tmp-") { FileSystem.remove(directory + "/" + name) }
    }
}
