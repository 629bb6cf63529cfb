/// ManifestBinding finds the `manifest.json` that belongs to the `ewallet.p12` on disk.
///
/// Theory of operation: the two files cannot be replaced by one rename, so each manifest names
/// the SHA-256 of the PKCS#12 file written with it (`Manifest.pkcs12SHA256`). A change writes
/// both new files (fsynced) under temporary names, then renames `ewallet.p12`, then
/// `manifest.json`. A process killed between the two renames leaves the new PKCS#12 beside the
/// old manifest, with the new manifest still in `manifest.json.tmp-*`: its digest finds it. A
/// PKCS#12 put back from `ewallet.p12.bak` (by hand, or a restore) finds its manifest in
/// `manifest.json.bak` the same way. The manifest found is used, and the next `modify` puts it
/// in place. Nothing else is guessed: with no match (the PKCS#12 was replaced from outside,
/// e.g. by `openssl pkcs12 -export`) the manifest is used for the certificates it describes,
/// and a warning says it was written for another file.
enum ManifestBinding {
    /// How the manifest read relates to the PKCS#12 file.
    enum State: Equatable {
        /// `manifest.json` names this PKCS#12 file.
        case bound
        /// No `manifest.json` and no kept one that matches: an empty manifest.
        case missing
        /// `manifest.json` was written by an earlier version (no digest): used as it is.
        case legacy
        /// `manifest.json` belongs to another PKCS#12 file; the one at this path does.
        case recovered(String)
        /// `manifest.json` belongs to another PKCS#12 file and no kept manifest matches.
        case unmatched
    }

    /// The manifest for the PKCS#12 file whose bytes are `pkcs12`, and how it was found.
    /// - Throws: `WalletError.corrupt` when `manifest.json` itself cannot be read as a manifest.
    static func read(for pkcs12: [UInt8], in directory: String) throws(WalletError) -> (Manifest, State) {
        let digest = OpenSSL.sha256Hex(pkcs12)
        let path = directory + "/" + Wallet.manifestName
        var current: Manifest?
        if FileSystem.exists(path) {
            let manifest = try Manifest.decode(try FileSystem.read(path), origin: path)
            guard let named = manifest.pkcs12SHA256 else { return (manifest, .legacy) }
            if named == digest { return (manifest, .bound) }
            current = manifest
        }
        for candidate in candidates(in: directory) {
            // A temporary file may be one a writer died writing; only a whole manifest naming
            // this very PKCS#12 file is taken.
            guard let bytes = try? FileSystem.read(candidate), let manifest = try? Manifest.decode(bytes, origin: candidate),
                manifest.pkcs12SHA256 == digest
            else { continue }
            return (manifest, .recovered(candidate))
        }
        guard let current else { return (Manifest(), .missing) }
        return (current, .unmatched)
    }

    /// Kept manifests that may belong to the PKCS#12 file: those of an interrupted change, then the backup.
    private static func candidates(in directory: String) -> [String] {
        let names = (try? FileSystem.list(directory)) ?? []
        let temporaries = names.filter { $0.hasPrefix(Wallet.manifestName + ".tmp-") }.sorted()
        return temporaries.map { directory + "/" + $0 } + [directory + "/" + Wallet.manifestName + ".bak"]
    }

    /// The sentence a user reads about `state`, nil when there is nothing to say.
    static func warning(_ state: State, directory: String) -> String? {
        let manifest = directory + "/" + Wallet.manifestName
        switch state {
        case .bound, .missing, .legacy: return nil
        case .recovered(let path):
            return "\(manifest) did not belong to \(Wallet.fileName) (a change was interrupted, or \(Wallet.fileName) was "
                + "restored from its backup); using \(path), which does; the next change puts it in place"
        case .unmatched:
            return "\(manifest) was written for another \(Wallet.fileName) (it was replaced from outside smtp-wallet); "
                + "sources and hosts are shown for the certificates it still describes and may be out of date"
        }
    }
}
