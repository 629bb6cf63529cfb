/// CommandInfo documents one REPL command for `help` and tab completion.
struct CommandInfo {
    let name: String
    let usage: String
    let summary: String
    let parameters: [String]
}

/// Catalog lists every REPL command: UTL_SMTP's calls and the REPL's own.
enum Catalog {
    static let commands: [CommandInfo] = [
        CommandInfo(name: "open_connection", usage: "open_connection HOST [PORT [TX_TIMEOUT [WALLET_PATH [WALLET_PASSWORD …]]]] | HOST:PORT [tx_timeout=S] [wallet_path=file:DIR] [wallet_password=…] [secure_connection_before_smtp=true] [secure_host=NAME] [trust=PEM] [allow_cleartext=true]",
                    summary: "connect and read the greeting (UTL_SMTP.OPEN_CONNECTION); tx_timeout= seconds for each whole reply",
                    parameters: ["host=", "port=", "tx_timeout=", "wallet_path=", "wallet_password=", "secure_connection_before_smtp=", "secure_host=", "trust=", "allow_cleartext=", "expect="]),
        CommandInfo(name: "helo", usage: "helo DOMAIN", summary: "send HELO", parameters: ["expect="]),
        CommandInfo(name: "ehlo", usage: "ehlo DOMAIN", summary: "send EHLO and learn the server's extensions", parameters: ["expect="]),
        CommandInfo(name: "starttls", usage: "starttls [secure_host=NAME]", summary: "upgrade to TLS; fails (never continues in plaintext) when refused", parameters: ["secure_host="]),
        CommandInfo(name: "auth", usage: "auth username=USER password=PASS schemes=\"LOGIN XOAUTH2\" | auth USER PASS 'LOGIN XOAUTH2' (schemes also ALL_SCHEMES, NON_CLEARTEXT_PASSWORD_SCHEMES) | auth credential=ALIAS [username=USER] [schemes=XOAUTH2]", summary: "authenticate; the password is asked for without echo when not given; credential= takes it (or an OAuth2 token) from the wallet", parameters: ["username=", "password=", "schemes=", "token=", "credential=", "wallet_path=", "wallet_password=", "expect="]),
        CommandInfo(name: "mail", usage: "mail SENDER [PARAM…]", summary: "send MAIL FROM", parameters: ["expect="]),
        CommandInfo(name: "rcpt", usage: "rcpt RECIPIENT [PARAM…]", summary: "send RCPT TO", parameters: ["expect="]),
        CommandInfo(name: "data", usage: "data <<EOF … EOF | data \"TEXT\" | data (then lines, end with a lone .)", summary: "send a whole message", parameters: ["expect="]),
        CommandInfo(name: "open_data", usage: "open_data", summary: "send DATA; write_data follows", parameters: ["expect="]),
        CommandInfo(name: "write_data", usage: "write_data TEXT", summary: "write part of the message: everything after write_data and one space, as typed (${NAME} expanded); a line end is added", parameters: []),
        CommandInfo(name: "write_raw_data", usage: "write_raw_data TEXT", summary: "write part of the message as typed, nothing added; \\r \\n \\t \\\\ are escapes", parameters: []),
        CommandInfo(name: "close_data", usage: "close_data", summary: "end the message with . and read the verdict", parameters: ["expect="]),
        CommandInfo(name: "rset", usage: "rset", summary: "send RSET", parameters: ["expect="]),
        CommandInfo(name: "vrfy", usage: "vrfy ADDRESS", summary: "send VRFY", parameters: ["expect="]),
        CommandInfo(name: "noop", usage: "noop", summary: "send NOOP", parameters: ["expect="]),
        CommandInfo(name: "help", usage: "help [COMMAND]", summary: "REPL help; connected and with no argument, also sends SMTP HELP", parameters: []),
        CommandInfo(name: "quit", usage: "quit", summary: "send QUIT and close", parameters: ["expect="]),
        CommandInfo(name: "command", usage: "command \"LINE\"", summary: "send any command line", parameters: ["expect="]),
        CommandInfo(name: "command_replies", usage: "command_replies \"LINE\"", summary: "send any command line, show each reply line", parameters: ["expect="]),
        CommandInfo(name: "close_connection", usage: "close_connection", summary: "close without QUIT", parameters: []),
        CommandInfo(name: "expect", usage: "expect CODE", summary: "check the last reply: 250, 2xx, 5.7.8, 5.7.x", parameters: []),
        CommandInfo(name: "show", usage: "show capabilities|state|cert|transcript | show token credential=ALIAS [wallet_path=…]", summary: "show what the conversation knows; show token checks a credential's OAuth2 token offline", parameters: ["credential=", "wallet_path=", "wallet_password="]),
        CommandInfo(name: "explain", usage: "explain CODE [TEXT] [tls=true|false] [after=COMMAND] [auth=MECHANISM]", summary: "explain a refusal (e.g. explain 535 \"5.7.139 Authentication unsuccessful, basic authentication is disabled.\"); in the connection's context", parameters: ["tls=", "after=", "auth="]),
        CommandInfo(name: "save", usage: "save transcript FILE", summary: "write the session as a transcript (credentials redacted)", parameters: []),
        CommandInfo(name: "source", usage: "source FILE", summary: "run the commands in FILE", parameters: []),
        CommandInfo(name: "exit", usage: "exit", summary: "leave the REPL (closes the connection)", parameters: []),
    ]

    static func find(_ name: String) -> CommandInfo? { commands.first { $0.name == name.lowercased() } }

    /// Commands people bring from shells and other REPLs, with what this REPL has instead.
    static let elsewhere = [
        "history": "Up/Down and Ctrl-R at the prompt walk and search the history (kept in ~/.smtp_repl_history)",
        "open": connectHint, "connect": connectHint, "telnet": connectHint,
    ]

    /// What to type to connect, for `open`, `connect` and `telnet`.
    static let connectHint = "to connect: open_connection HOST:PORT (e.g. open_connection smtp.office365.com:587, then ehlo and starttls)"

    /// The message for a name that is no command, with the nearest command when one is close
    /// (`mial` → "did you mean mail?").
    static func unknown(_ name: String) -> String {
        if let instead = elsewhere[name.lowercased()] { return "unknown command \"\(name)\"; \(instead)" }
        let typed = Array(name.lowercased())
        let nearest = commands.map { ($0.name, distance(typed, Array($0.name))) }.min { $0.1 < $1.1 }
        let hint = nearest.flatMap { $0.1 <= (typed.count >= 3 ? 2 : 1) ? "did you mean \($0.0)? " : nil } ?? ""
        return "unknown command \"\(name)\"; \(hint)type help for the list"
    }

    /// Levenshtein distance (insertions, deletions and substitutions count one each).
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
