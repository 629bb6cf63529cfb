import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

// A usage error exits 2 like any other configuration error (ArgumentParser's own code is 64).
do {
    var command = try MailQueueCommand.parseAsRoot()
    try command.run()
} catch {
    if MailQueueCommand.exitCode(for: error) == .validationFailure {
        Console.error(TerminalText.escaped(MailQueueCommand.fullMessage(for: error), keepingLineBreaks: true), escaping: false)
        Foundation.exit(2)
    }
    MailQueueCommand.exit(withError: error)
}
