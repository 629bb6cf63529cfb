import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

/// The database option every subcommand takes.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://… (default: $MAIL_QUEUE_DATABASE, else sqlite:./mail-queue.sqlite)")
    var database: String?

    /// Opens the queue; only `init` creates a SQLite file (`create`).
    func open(create: Bool = false) throws -> QueueStore {
        QueueStore(database: try guarded { () throws(QueueError) in try DatabaseURL.open(value, create: create) })
    }

    var value: String { database ?? ProcessInfo.processInfo.environment["MAIL_QUEUE_DATABASE"] ?? DatabaseURL.defaultValue }
}
