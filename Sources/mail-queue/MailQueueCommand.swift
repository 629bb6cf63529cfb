import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

/// Exit codes: 0 success; 1 some request failed or is uncertain; 2 usage,
/// configuration or database error.
enum ExitStatus {
    static let notAllSent = ExitCode(1)
    static let configuration = ExitCode(2)
}

struct MailQueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail-queue",
        abstract: "A database-backed mail queue: enqueue in your transaction, send later.",
        discussion: "Exit codes: 0 success; 1 some request failed or is uncertain (a request sent to only some of its recipients counts as sent: the summary says so, `show ID` names the refused ones), or `retry ID` left a request alone; 2 usage, configuration or database error, or a request id or template that does not exist.",
        subcommands: [Init.self, TemplateCommand.self, Enqueue.self, Send.self, Relay.self, Status.self, Show.self, Retry.self,
                      Purge.self, Cancel.self, Hold.self, Release.self])
}
