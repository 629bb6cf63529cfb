import SMTPConversation
/// CaptureGuess says what a file holds when no SMTP conversation was found in it, so the user
/// learns that they gave the wrong file ("is this a PL/SQL file?") rather than a bare refusal.
enum CaptureGuess {
    /// A short description of the lines seen (a sample of the skipped ones).
    static func describe(_ sample: [String], lines: Int) -> String {
        let text = sample.joined(separator: "\n").lowercased()
        let first = sample.first.map { String($0.trimmingCharacters(in: " \t").prefix(60)) }
        guard let first else { return "the capture is empty" }
        return "\(lines) lines, the first \"\(first)\": \(hint(text))"
    }

    /// A question naming what the text looks like ("is this a PL/SQL file?").
    static func hint(_ sample: String) -> String {
        let text = sample.lowercased()
        let first = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: " \t") } ?? ""
        let what: String
        if text.contains("utl_smtp") || text.contains("create or replace") || text.contains("dbms_output")
            || (text.contains("begin") && text.contains("end;"))
        {
            what = "is this a PL/SQL file?"
        } else if text.contains("create ") || text.contains("declare") || text.hasPrefix("begin") || first.hasPrefix("end;") {
            what = "is this a PL/SQL file? (smtp-repl run FILE.sql runs one)"
        } else if text.contains("\tat ") || text.contains("exception in thread") {
            what = "is this a Java stack trace without the mail.debug output?"
        } else if text.contains("<html") || text.contains("<!doctype") {
            what = "is this an HTML page?"
        } else if first.hasPrefix("{") || first.hasPrefix("[") {
            what = "is this JSON or another data file?"
        } else {
            what = "is this prose or another tool's log?"
        }
        return what
    }
}
