import Foundation
import SMTPConversation

/// RawAuthRedactor hides the credentials of an AUTH exchange written by hand with `command`
/// (PL/SQL's `UTL_SMTP.command(c, 'AUTH', 'LOGIN')` then base64 lines): the initial response
/// after the mechanism, and every line sent while the server answers 334, become `{secret}`
/// before the console or a transcript sees them.
final class RawAuthRedactor: @unchecked Sendable {
    private let lock = NSLock()
    private var inExchange = false

    /// The event as it may be shown.
    func filter(_ event: ConversationEvent) -> ConversationEvent {
        lock.withLock {
            switch event {
            case .sent(let line):
                let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
                if words.first?.uppercased() == "AUTH" {
                    inExchange = true
                    return words.count == 3 ? .sent("\(words[0]) \(words[1]) {secret}") : event
                }
                return inExchange ? .sent("{secret}") : event
            case .received(let reply):
                if reply.code != 334 { inExchange = false }
                return event
            default:
                return event
            }
        }
    }
}
