import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or migrate the queue's tables.")
    @OptionGroup var db: DatabaseOptions

    func run() throws {
        let store = try db.open(create: true)
        let before = try guarded { () throws(QueueError) in try store.migrate() }
        let place = PostgresConnection.redact(db.value)  // a postgres:// URL may hold a password
        print(before == 0 ? "created schema version \(SchemaStatements.currentVersion) in \(place)" : "schema at version \(before), now current in \(place)")
    }
}
