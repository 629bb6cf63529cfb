import SMTPConversation

/// LineRedaction hides the secrets a REPL line may hold before the line is shown again (a
/// script's error message names the failing line) or kept (the interactive history file):
/// the values of `password=`, `token=` and `wallet_password=`, what follows the mechanism of
/// an AUTH line sent with `command`, and the lines answering its 334 challenges. `${NAME}`
/// references are left as written: the script holds the name, not the secret. The words are
/// the `Lexer`'s, so quoting is read the same way.
enum LineRedaction {
    /// The parameters whose values are secrets.
    static let secretParameters: Set<String> = ["password", "token", "wallet_password"]

    /// The positional word that is a secret in UTL_SMTP's order: `auth USER PASSWORD SCHEMES`,
    /// `open_connection HOST PORT TX_TIMEOUT WALLET_PATH WALLET_PASSWORD …`.
    static let secretPositions: [String: Int] = ["auth": 1, "open_connection": 4]

    /// `line` with every secret value replaced by `{secret}`.
    /// - Parameter answersChallenge: true when the line was typed while a raw AUTH (sent with
    ///   `command`) waits for the answer to its 334 challenge: everything after `command` is
    ///   then the answer (a base64 user name or password), and a line that is no command at
    ///   all may be that answer typed bare, so it is hidden whole.
    static func redacted(_ line: String, answersChallenge: Bool = false) -> String {
        let characters = Array(line)
        let lexer = Lexer(variables: [:], environment: [:], requireVariables: false)
        guard let tokens = try? lexer.tokenize(line) else { return unreadable(line) }
        let command = tokens.first.map { $0.value.lowercased() } ?? ""
        let isRaw = command == "command" || command == "command_replies"
        if answersChallenge, !tokens.isEmpty, !isRaw, Catalog.find(command) == nil {
            return Command.secretPlaceholder
        }
        let rawAuth = isRaw && tokens.count > 1
            && ((tokens[1].name == nil && tokens[1].value.uppercased() == "AUTH") || answersChallenge)
        var output = ""
        var done = 0
        var position = -1
        for (number, token) in tokens.enumerated() {
            output += String(characters[done..<token.span.lowerBound])
            let written = String(characters[token.span])
            if number > 0, token.name == nil { position += 1 }
            if let name = token.name, secretParameters.contains(name), !isReference(written.dropFirst(name.count + 1)) {
                output += written.prefix(name.count + 1) + "{secret}"
            } else if token.name == nil, secretPositions[command] == position, !isReference(Substring(written)) {
                output += "{secret}"
            } else if rawAuth && (number >= 3 || (answersChallenge && number >= 1)) {
                output += "{secret}"
            } else if number == 1, command == "command" || command == "command_replies" {
                output += quotedAuth(token.value) ?? written
            } else {
                output += written
            }
            done = token.span.upperBound
        }
        return output + String(characters[done...])
    }

    /// A line the lexer cannot read (an unclosed quote): shown only up to its first secret.
    private static func unreadable(_ line: String) -> String {
        let lowered = line.lowercased()
        let words = lowered.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if let first = words.first, secretPositions[String(first)] != nil {
            // A positional secret cannot be told from the other words: only the command is shown.
            return String(first) + " {secret}…"
        }
        let markers = secretParameters.map { $0 + "=" } + ["auth "]
        guard let cut = markers.compactMap({ lowered.range(of: $0)?.upperBound }).min() else { return line }
        return String(line[..<cut]) + "{secret}…"
    }

    /// True when a value is only a `${NAME}` reference (no secret written in the line).
    private static func isReference(_ value: Substring) -> Bool {
        value.hasPrefix("${") && value.hasSuffix("}") && !value.dropFirst(2).dropLast().contains("}")
    }

    /// `"AUTH PLAIN …"` given to `command` in quotes: AUTH and the mechanism kept, the rest hidden.
    private static func quotedAuth(_ value: String) -> String? {
        let parts = value.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0].uppercased() == "AUTH" else { return nil }
        return "\"AUTH \(parts[1]) {secret}\""
    }
}
