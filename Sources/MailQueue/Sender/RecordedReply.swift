import SMTPConversation

/// RecordedReply reads the server's reply back out of a request's recorded last error, as the
/// sender writes it (`MAIL FROM: 550 5.7.60 SMTP; Client does not have …`, `RCPT TO: every
/// recipient refused: bob@example.com: 550 …`, or an `SMTPError` description such as
/// `smtp.office365.com:587 auth: permanent error: 535 5.7.3 …`), so that `mail-queue show` and
/// `status` can explain it with the reply catalogue in the context of the step that failed.
public enum RecordedReply {
    /// The step, reply code and text in `lastError`; nil when it records no server reply
    /// (a network failure, a timeout, an invalid request).
    public static func parse(_ lastError: String) -> (step: String?, code: Int, text: String)? {
        let characters = Array(lastError)
        var index = 0
        while index + 1 < characters.count {
            defer { index += 1 }
            guard characters[index] == ":", characters[index + 1] == " " else { continue }
            let start = index + 2
            guard start + 3 <= characters.count, let code = Int(String(characters[start..<start + 3])), (400...599).contains(code),
                start + 3 == characters.count || characters[start + 3] == " "
            else { continue }
            let text = String(characters[(start + 3)...]).trimmingCharacters(in: .whitespaces)
            return (step(in: String(characters[..<index])), code, text)
        }
        return nil
    }

    /// The reply in `lastError` on one line, `CODE TEXT` (`MAIL FROM: 451 4.3.0 busy` →
    /// `451 4.3.0 busy`); nil when it records no server reply.
    public static func reply(in lastError: String) -> String? {
        parse(lastError).map { $0.text.isEmpty ? "\($0.code)" : "\($0.code) \($0.text)" }
    }

    /// The step named before the first `: ` (`MAIL FROM`, `RCPT TO`, `final dot`), or the word
    /// before `: permanent error` in an error's description (`auth`).
    static func step(in head: String) -> String? {
        if let marker = head.range(of: ": permanent error") ?? head.range(of: ": transient error") {
            return head[..<marker.lowerBound].split(separator: " ").last.map(String.init)
        }
        return head.components(separatedBy: ": ").first
    }

    /// The catalogue's explanation of the reply in `lastError`, nil when there is none.
    public static func explanation(of lastError: String) -> ReplyExplanation? {
        guard let (step, code, text) = parse(lastError) else { return nil }
        let command = step.flatMap { Self.commands[$0.lowercased()] }
        // The queue never sends AUTH in cleartext: a refusal of AUTH came over TLS.
        let context = ReplyContext(inTLS: command == "AUTH" ? true : nil, command: command)
        return ReplyCatalogue.explain(code: code, text: text, context: context)
    }

    static let commands = ["ehlo": "EHLO", "helo": "HELO", "starttls": "STARTTLS", "auth": "AUTH", "mail": "MAIL", "mail from": "MAIL",
                           "rcpt": "RCPT", "rcpt to": "RCPT", "data": "DATA", "message body": "DATA", "final dot": "DATA",
                           "close_data": "DATA", "bdat": "BDAT", "rset": "RSET", "quit": "QUIT"]
}
