/// WalletLocation turns UTL_SMTP's `wallet_path` into a directory.
///
/// Accepted forms: `file:/dir`, `file:relative/dir`, `file:c:/dir` (the Windows form),
/// `file:///c:/dir` and `file:///dir` (URLs, which Oracle rejects but users write), and a
/// plain path. A trailing `/ewallet.p12` is tolerated: users often name the file.
public enum WalletLocation {
    /// The directory named by `walletPath`.
    /// - Throws: `WalletError.invalidArgument` for an empty path or another URL scheme.
    public static func directory(from walletPath: String) throws(WalletError) -> String {
        var path = walletPath.trimmingSpaces()
        guard !path.isEmpty else { throw WalletError(.invalidArgument, "wallet_path is empty") }
        if path.lowercased().hasPrefix("file:") {
            path = String(path.dropFirst(5))
            if path.hasPrefix("//") {
                // file://HOST/path: only an empty host (file:///...) or localhost is local.
                let rest = path.dropFirst(2)
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                let host = rest[rest.startIndex..<slash]
                guard host.isEmpty || host.lowercased() == "localhost" else {
                    throw WalletError(.invalidArgument, "wallet_path \(walletPath) names a remote host '\(host)'; only local wallets are supported")
                }
                path = String(rest[slash...])
                // file:///c:/dir -> c:/dir
                if path.count >= 3, path.first == "/", Self.isDriveLetter(path.dropFirst()) { path = String(path.dropFirst()) }
            }
            path = path.removingPercentEncoding()
        } else if let colon = path.firstIndex(of: ":"), !Self.isDriveLetter(Substring(path)),
            path[..<colon].allSatisfy({ $0.isLetter }), path[..<colon].count > 1
        {
            throw WalletError(.invalidArgument, "wallet_path \(walletPath): only file: paths are supported")
        }
        guard !path.isEmpty else { throw WalletError(.invalidArgument, "wallet_path \(walletPath) names no directory") }
        if path.hasSuffix("/ewallet.p12") { path = String(path.dropLast("/ewallet.p12".count)) }
        while path.count > 1, path.hasSuffix("/"), !(path.count == 3 && Self.isDriveLetter(Substring(path))) {
            path.removeLast()
        }
        return path
    }

    /// True for `c:` or `c:/...`.
    static func isDriveLetter(_ text: Substring) -> Bool {
        let chars = Array(text.prefix(3))
        guard chars.count >= 2, chars[0].isLetter, chars[0].isASCII, chars[1] == ":" else { return false }
        return chars.count == 2 || chars[2] == "/" || chars[2] == "\\"
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    /// Decodes %XX escapes (file URLs); invalid escapes are kept as written.
    func removingPercentEncoding() -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(self.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let value = UInt8(String(decoding: utf8[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
