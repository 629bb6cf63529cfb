import Foundation
import SMTPConversation

/// Console is where `mail-queue` prints text that came from a user or a server (a subject, an
/// address, a pattern, a reply in an error): through `TerminalText.escaped`, so it cannot drive
/// the terminal or forge a line of the output.
enum Console {
    /// One field of a one-line-per-field report (`show`, `template list`): every control
    /// character escaped, LF included.
    static func field(_ text: String) -> String { TerminalText.escaped(text) }

    /// One line of a message shown as it is (a raw message's header): every control character
    /// escaped but TAB, so a header folded with a tab shows its real whitespace.
    static func messageLine(_ text: String) -> String {
        text.split(separator: "\t", omittingEmptySubsequences: false).map { TerminalText.escaped(String($0)) }.joined(separator: "\t")
    }

    /// Writes `message` and a line end to stderr, escaped unless the caller did it (`escaping: false`).
    static func error(_ message: String, escaping: Bool = true) {
        FileHandle.standardError.write(Data(((escaping ? TerminalText.escaped(message) : message) + "\n").utf8))
    }
}
