#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// WalletPermissions finds the modes that let someone else change what a wallet trusts or read
/// what it keeps secret, each with the command that fixes it.
///
/// A directory others can write to lets them replace `ewallet.p12` (and so the trust anchors
/// every TLS connection checks against) or plant a symbolic link where the wallet writes; an
/// `ewallet.p12` others can read hands them the private key and the stored credentials (behind
/// no password at all for an auto-login wallet).
public enum WalletPermissions {
    /// What to do when the wallet's permissions are unsafe.
    public enum Policy: Sendable {
        /// Refuse to open it (`WalletError.insecure`): what everything that trusts or changes it does.
        case refuse
        /// Open it and report the problems in `Wallet.warnings` (the read-only commands).
        case warn
    }

    /// The problems with the modes of `directory` and its `ewallet.p12`, each a sentence naming
    /// the file, its mode and the `chmod` that fixes it; empty when there are none.
    public static func problems(directory: String) -> [String] {
        var problems: [String] = []
        if let info = FileSystem.linkStatus(directory), (info.st_mode & S_IFMT) == S_IFDIR, info.st_mode & 0o022 != 0 {
            problems.append(
                "the wallet directory \(directory) is writable by \(Self.who(info.st_mode, write: true)) (mode \(Self.octal(info.st_mode))), "
                    + "so they can replace what it trusts; fix it with `chmod go-w \(Shell.quoted(directory))`")
        }
        let p12 = directory + "/" + Wallet.fileName
        if let info = FileSystem.linkStatus(p12), (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o026 != 0 {
            var what: [String] = []
            if info.st_mode & 0o004 != 0 { what.append("readable by others") }
            if info.st_mode & 0o022 != 0 { what.append("writable by \(Self.who(info.st_mode, write: true))") }
            problems.append(
                "\(p12) is \(what.joined(separator: " and ")) (mode \(Self.octal(info.st_mode))); it holds the private key and "
                    + "credentials and decides what is trusted; fix it with `chmod 600 \(Shell.quoted(p12))`")
        }
        return problems
    }

    /// Throws `WalletError.insecure` listing every problem, if there are any.
    static func refuseProblems(directory: String) throws(WalletError) {
        let found = problems(directory: directory)
        guard !found.isEmpty else { return }
        throw WalletError(.insecure, found.joined(separator: "; "))
    }

    /// Prepares an existing directory to hold a new wallet: one we own loses its group and
    /// other write bits; one we do not own and others can write to is refused.
    static func secureForCreate(_ directory: String) throws(WalletError) {
        guard let info = FileSystem.linkStatus(directory), info.st_mode & 0o022 != 0 else { return }
        guard info.st_uid == geteuid() else {
            throw WalletError(
                .insecure,
                "\(directory) is writable by \(Self.who(info.st_mode, write: true)) (mode \(Self.octal(info.st_mode))) and not ours to fix; "
                    + "create the wallet in a directory of its own (e.g. `mkdir -m 700 DIR`)")
        }
        try FileSystem.setMode(directory, info.st_mode & 0o7755)
    }

    private static func who(_ mode: mode_t, write: Bool) -> String {
        let bit: mode_t = write ? 0o2 : 0o4
        switch (mode & (bit << 3) != 0, mode & bit != 0) {
        case (true, true): return "its group and others"
        case (true, false): return "its group"
        default: return "others"
        }
    }

    private static func octal(_ mode: mode_t) -> String {
        let text = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}

/// Shell quotes a path for a command the user is told to run.
enum Shell {
    /// `path` as is when it holds only safe characters, else in single quotes.
    static func quoted(_ path: String) -> String {
        let safe = path.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "/._-+:@,%=".unicodeScalars.contains($0)) }
        if safe && !path.isEmpty { return path }
        return "'" + path.map { $0 == "'" ? "'\\''" : String($0) }.joined() + "'"
    }
}
