/// SenderConfigFile is the settings file of `mail-queue send --config FILE`: one
/// `key = value` per line, `#` comments (whole lines, or after white space at the end of a
/// line), values optionally in double quotes (which keep a `#`). The keys are the
/// long flags' names (`smtp`, `security`, `user`, `connections`, …); a flag or the
/// environment given as well wins over the file.
///
/// ```
/// # /etc/mail-queue/send.conf
/// database = postgres://mq@db.internal/app
/// profile = office365
/// user = notifications@contoso.com
/// credential-alias = o365
/// wallet = file:/etc/mail-queue/wallet
/// ```
///
/// A `password` key is read only from a file no one but its owner can read (mode 0600 or
/// stricter): a password in a world-readable file is refused, naming the file and its mode.
/// Parsing does no I/O; the caller passes the text and the file's mode.
public struct SenderConfigFile: Sendable, Equatable {
    /// The keys a file may set.
    public static let keys: [String] = [
        "database", "smtp", "security", "profile", "ca-file", "token-ca-file", "wallet", "user", "password", "password-file",
        "credential-alias", "helo", "connections", "rate", "messages-per-connection", "batch", "lease-seconds",
        "pattern", "max-attempts", "retry-base-ms", "timeout", "idle-poll-seconds", "resend-uncertain", "bounce",
        "retention-sent", "retention-failed", "poll-only",
    ]

    /// The file's name, for messages.
    public let file: String
    /// Each key set, with its value and line number.
    public private(set) var entries: [String: (value: String, line: Int)] = [:]

    /// Parses `text` read from `file`.
    /// - Parameter mode: the file's permission bits (to refuse a readable password).
    /// - Throws: `QueueError.configuration` naming the file and line: a line without `=`, an
    ///   unknown key (with the known ones), a key given twice, an unterminated quote, or a
    ///   password in a file others may read.
    public static func parse(_ text: String, file: String, mode: UInt32 = 0o600) throws(QueueError) -> SenderConfigFile {
        var config = SenderConfigFile(file: file)
        // By Character: "\r\n" is one Character, so `isNewline` ends a line in LF or CRLF alike.
        for (offset, content) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = offset + 1
            let trimmed = content.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                // The line is not quoted back: it may be a password missing its `=`.
                throw config.error(line, "expected key = value (no '=' on this line)")
            }
            let key = trimmed[..<equals].trimming(" \t").lowercased()
            // What messages call the key: a line such as `password: Hunter=2secret` has no key
            // of ours before its `=`, and naming it would quote part of the password.
            let named = keys.contains(key) || !Self.mayHoldSecret(key) ? "'\(key)'" : "on this line (not shown: it may hold a secret)"
            var value = Substring(trimmed[trimmed.index(after: equals)...].trimming(" \t"))
            if value.hasPrefix("\"") {
                // A quoted value keeps any # inside; only a comment may follow the closing quote.
                guard let close = value.dropFirst().firstIndex(of: "\"") else {
                    throw config.error(line, keys.contains(key) ? "\(key): the quote is not closed" : "the quote is not closed")
                }
                let rest = value[value.index(after: close)...].trimming(" \t")
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw config.error(line, keys.contains(key) ? "\(key): only a # comment may follow the closing quote"
                        : "only a # comment may follow the closing quote")
                }
                value = value[value.index(after: value.startIndex)..<close]
            } else if let comment = Self.trailingComment(in: value) {
                // `key = value   # note`: a # after white space starts a comment.
                value = Substring(value[..<comment].trimming(" \t"))
            }
            guard keys.contains(key) else {
                throw config.error(line, "unknown key \(named); known keys: \(keys.joined(separator: ", "))")
            }
            if let earlier = config.entries[key] {
                throw config.error(line, "\(key) is already set on line \(earlier.line)")
            }
            if key == "password", mode & 0o077 != 0 {
                throw config.error(line, "a password may only be kept in a file no one else can read; \(file) has mode "
                    + String(mode & 0o777, radix: 8) + " (chmod 600 \(file)), or use password-file or credential-alias")
            }
            config.entries[key] = (String(value), line)
        }
        return config
    }

    /// True when an unknown key may be part of a secret: it mentions one (`password: Hunter`,
    /// `smtp-token`) or is not written like a key (letters, digits and `-` only).
    static func mayHoldSecret(_ key: String) -> Bool {
        let secretWords = ["pass", "secret", "token", "credential", "key"]
        if secretWords.contains(where: key.contains) { return true }
        return !key.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
    }

    /// Where a `#` preceded by white space starts a comment in an unquoted value.
    static func trailingComment(in value: Substring) -> Substring.Index? {
        var previous: Character = "x"
        for index in value.indices {
            if value[index] == "#" && (previous == " " || previous == "\t") { return index }
            previous = value[index]
        }
        return nil
    }

    /// The value of `key`, if the file sets it.
    public subscript(key: String) -> String? { entries[key]?.value }

    /// The integer value of `key`, if set.
    /// - Throws: `QueueError.configuration` naming the file and line when it is not a whole number.
    public func integer(_ key: String) throws(QueueError) -> Int? {
        guard let entry = entries[key] else { return nil }
        guard let value = Int(entry.value) else { throw error(entry.line, "\(key) must be a whole number, not '\(entry.value)'") }
        return value
    }

    /// The number value of `key`, if set.
    /// - Throws: `QueueError.configuration` naming the file and line when it is not a number.
    public func number(_ key: String) throws(QueueError) -> Double? {
        guard let entry = entries[key] else { return nil }
        guard let value = Double(entry.value), value.isFinite else {
            throw error(entry.line, "\(key) must be a number, not '\(entry.value)'")
        }
        return value
    }

    /// The yes/no value of `key`, if set (`true`/`false`, `yes`/`no`, `1`/`0`).
    /// - Throws: `QueueError.configuration` naming the file and line for anything else.
    public func flag(_ key: String) throws(QueueError) -> Bool? {
        guard let entry = entries[key] else { return nil }
        switch entry.value.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: throw error(entry.line, "\(key) must be true or false, not '\(entry.value)'")
        }
    }

    /// An error about `line` of this file.
    public func error(_ line: Int, _ reason: String) -> QueueError {
        QueueError(.configuration, field: "\(file):\(line)", reason: reason)
    }

    /// Two files are equal when they set the same keys to the same values.
    public static func == (lhs: SenderConfigFile, rhs: SenderConfigFile) -> Bool {
        lhs.file == rhs.file && lhs.entries.mapValues(\.value) == rhs.entries.mapValues(\.value)
    }

    private init(file: String) { self.file = file }
}
