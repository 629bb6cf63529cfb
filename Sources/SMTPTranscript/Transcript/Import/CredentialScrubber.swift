import SMTPConversation
/// CredentialScrubber takes credentials out of free text found in a capture (annotations, lines
/// listed by `convert --verbose`, command lines echoed by a tool): `password=…`, `--auth-password
/// …`, `AUTH PLAIN …` initial responses, `Bearer …` tokens and `user=…\u{1}auth=…` XOAUTH2 strings
/// all become `{secret}`. SASL exchanges themselves are redacted by the importer's protocol state.
enum CredentialScrubber {
    private static let keys = ["password", "passwd", "pwd", "pass", "secret", "token", "access_token", "auth-password", "auth_password"]
    private static let flags = ["--auth-password", "--password", "-ap"]
    private static let mechanisms = ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "CRAM-MD5", "DIGEST-MD5", "NTLM", "GSSAPI", "EXTERNAL", "SCRAM-SHA-1", "SCRAM-SHA-256"]

    /// The text with every credential it recognises replaced by `{secret}`.
    static func scrubbed(_ text: String) -> String {
        // Cheap test first: most lines hold none of the words.
        let lower = text.lowercased()
        guard lower.contains("pass") || lower.contains("pwd") || lower.contains("secret") || lower.contains("token")
            || lower.contains("auth") || lower.contains("bearer") || lower.contains("-ap")
        else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < words.count {
            let word = words[index]
            let lowered = word.lowercased()
            if let equals = word.firstIndex(where: { $0 == "=" || $0 == ":" }) {
                let key = lowered[..<equals].trimmingCharacters(in: "\"'-")
                if keys.contains(key) || key.hasSuffix("password") || key.hasSuffix("secret") {
                    let value = word[word.index(after: equals)...]
                    if !value.isEmpty && value != "<non-null>" && value != "<null>" {
                        words[index] = String(word[...equals]) + Command.secretPlaceholder
                    } else if value.isEmpty, index + 1 < words.count, !words[index + 1].isEmpty {
                        words[index + 1] = Command.secretPlaceholder
                        index += 1
                    }
                }
            }
            if flags.contains(lowered), index + 1 < words.count {
                words[index + 1] = Command.secretPlaceholder
                index += 1
            } else if lowered == "bearer", index + 1 < words.count {
                words[index + 1] = Command.secretPlaceholder
                index += 1
            } else if lowered.hasSuffix("auth"), index + 2 < words.count, mechanisms.contains(words[index + 1].uppercased()),
                !words[index + 2].isEmpty
            {
                words[index + 2] = Command.secretPlaceholder
                index += 2
            } else if lowered.contains("auth=bearer") || lowered.hasPrefix("user=") && lowered.contains("\u{1}") {
                words[index] = Command.secretPlaceholder
            }
            index += 1
        }
        return words.joined(separator: " ")
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
