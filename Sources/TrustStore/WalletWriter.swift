/// WriteHooks lets a caller observe the steps of a wallet write; the crash tests use it to stop
/// a process after the new files are on disk and before they are renamed into place.
public struct WriteHooks: Sendable {
    /// Called after the new files are written and flushed, before any rename.
    public var beforeRename: (@Sendable () -> Void)?

    /// Called between the two renames (the new `ewallet.p12` in place, `manifest.json` not yet).
    public var betweenRenames: (@Sendable () -> Void)?

    /// Called when another writer holds the wallet's lock, before waiting for it.
    public var waitingForLock: (@Sendable () -> Void)?

    /// Called with each of `Wallet.warnings` of the wallet as `modify` opened it.
    public var warning: (@Sendable (String) -> Void)?

    /// No hooks by default.
    public init(beforeRename: (@Sendable () -> Void)? = nil, waitingForLock: (@Sendable () -> Void)? = nil,
                warning: (@Sendable (String) -> Void)? = nil) {
        self.beforeRename = beforeRename
        self.waitingForLock = waitingForLock
        self.warning = warning
    }
}

extension Wallet {
    /// Writes `ewallet.p12` then `manifest.json`, each as: new temporary file, fsync, keep the
    /// current file as `.bak` (mode 0600), rename over it, fsync the directory. The manifest
    /// names the new PKCS#12 by its SHA-256, so a crash between the renames leaves a pair that
    /// `ManifestBinding` recognises and mends; a crash at any point leaves the old or the new
    /// `ewallet.p12`, never a partial one. The caller holds the lock.
    func write(password: String, hooks: WriteHooks) throws(WalletError) {
        let p12 = try PKCS12Codec.write(.init(certificates: trustedDER, identity: identity, credentials: credentials), password: password)
        var bound = pruned()
        bound.version = 2
        bound.pkcs12SHA256 = OpenSSL.sha256Hex(p12)
        let manifestBytes = try bound.encoded()
        // The wallet holds a private key and, for auto-login, no password: owner-only.
        let newP12 = try FileSystem.writeTemporary(p12, next: pkcs12Path, mode: 0o600)
        let newManifest: String
        do { newManifest = try FileSystem.writeTemporary(manifestBytes, next: manifestPath, mode: 0o600) } catch {
            FileSystem.remove(newP12)
            throw error
        }
        hooks.beforeRename?()
        do throws(WalletError) {
            try FileSystem.backup(pkcs12Path, to: pkcs12Path + ".bak")
            try FileSystem.backup(manifestPath, to: manifestPath + ".bak")
            try FileSystem.rename(newP12, to: pkcs12Path)
            hooks.betweenRenames?()
            try FileSystem.rename(newManifest, to: manifestPath)
        } catch {
            FileSystem.remove(newP12)
            FileSystem.remove(newManifest)
            throw error
        }
        FileSystem.syncDirectory(directory)
    }

    /// Puts the manifest in place bound to the `ewallet.p12` on disk, which stays as it is: one
    /// new file, fsync, one rename. The caller holds the lock and opened the wallet under it.
    func writeManifest() throws(WalletError) {
        var bound = pruned()
        bound.version = 2
        bound.pkcs12SHA256 = OpenSSL.sha256Hex(try FileSystem.read(pkcs12Path))
        let temporary = try FileSystem.writeTemporary(try bound.encoded(), next: manifestPath, mode: 0o600)
        do throws(WalletError) { try FileSystem.rename(temporary, to: manifestPath) } catch {
            FileSystem.remove(temporary)
            throw error
        }
        FileSystem.syncDirectory(directory)
    }

    /// The manifest without entries for certificates the wallet no longer holds.
    func pruned() -> Manifest {
        var result = manifest
        let present = Set(certificates.map(\.fingerprint) + (identity.flatMap { WalletCertificate(der: $0.certificate) }.map { [$0.fingerprint] } ?? []))
        result.certificates = result.certificates.filter { present.contains($0.key) }
        return result
    }
}
