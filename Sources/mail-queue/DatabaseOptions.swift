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

    /// The value: the flag, else $MAIL_QUEUE_DATABASE, else the default.
    var value: String { value(file: nil) }

    /// The value for `send` and `relay`: the flag, else $MAIL_QUEUE_DATABASE, else the
    /// `--config` file's `database`, else the default.
    func value(file: SenderConfigFile?) -> String {
        database ?? ProcessInfo.processInfo.environment["MAIL_QUEUE_DATABASE"] ?? file?["database"] ?? DatabaseURL.defaultValue
    }
}
