import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one request (exit 2 when there is no such request).")
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "Request id.") var id: String
    @Flag(help: "For a raw message (one the relay stored): write the whole message as stored, byte for byte, instead of the summary and headers.")
    var raw = false

    func run() throws {
        let store = try db.open()
        let d = try guarded { () throws(QueueError) in try store.details(id) }
        if raw {
            guard let content = d.request.raw else {
                Console.error("mail-queue: request \(id) is not a raw message; --raw shows only those")
                throw ExitStatus.configuration
            }
            FileHandle.standardOutput.write(Data(content))
            return
        }
        print("id:          \(d.request.id)")
        print("status:      \(d.status.rawValue)")
        print("attempts:    \(d.attempts)")
        print("message-id:  \(Console.field(d.request.messageID))")
        print("from:        \(Console.field(d.request.from))")
        for r in d.request.recipients {
            let label = d.request.raw == nil ? "\(r.kind.rawValue.lowercased()):" : "rcpt to:"
            print(label.padding(toLength: 13, withPad: " ", startingAt: 0) + Console.field(r.address))
        }
        print("subject:     \(Console.field(d.request.subject))")
        if let pattern = d.request.patternID { print("pattern:     \(Console.field(pattern))") }
        print("priority:    \(d.request.priority)")
        print("enqueued:    \(timestamp(d.requestedAt))")
        if let notBefore = d.request.notBefore {
            let wait = d.status == .unsent && notBefore > store.now() ? " (in \((notBefore - store.now() + 999) / 1000) s)" : ""
            print("not before:  \(timestamp(notBefore))\(wait)")
        }
        if let sentAt = d.sentAt { print("sent:        \(timestamp(sentAt))") }
        if d.status == .unsent, d.nextAttemptAt > store.now(), d.nextAttemptAt != d.request.notBefore {
            print("next try:    \(timestamp(d.nextAttemptAt)) (in \((d.nextAttemptAt - store.now() + 999) / 1000) s)")
        }
        if let error = d.lastError {
            print("last error:  \(Console.field(error))")
            if let explanation = RecordedReply.explanation(of: error) { print("explained:   \(Console.field(Status.explained(explanation)))") }
        }
        if let refused = d.refused { print("refused:     " + refused.split(separator: "\n", omittingEmptySubsequences: false).map { Console.field(String($0)) }.joined(separator: "\n             ")) }
        if let content = d.request.raw {
            // The headers only: the body stays private unless asked for with --raw.
            print("raw message: \(content.count) octets, as received; headers (`show --raw ID` for all of it):")
            let headers = RawMessage.headerSection(of: content)
            for line in String(decoding: headers, as: UTF8.self).split(separator: "\r\n") { print("  " + Console.messageLine(String(line))) }
        }
    }
}
