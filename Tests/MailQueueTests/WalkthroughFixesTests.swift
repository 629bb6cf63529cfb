import Foundation
import MailQueue
import SMTPConversation
import Testing

/// What a new user's walkthrough of `mail-queue` ran into: raw Foundation errors for missing
/// files, settings-file errors without FILE:LINE, flags silently ignored, misleading messages
/// and exit codes that disagreed with the help.
@Suite("mail-queue walkthrough fixes")
struct WalkthroughFixesTests {
    @Test("a file option naming a missing file or a directory: one line naming the option, the path and why; exit 2; nothing enqueued",
          arguments: ["--jsonl", "--attach", "--body-file", "template put --body-file"], ["no such file", "is a directory"])
    func unreadableFiles(_ command: String, _ reason: String) throws {
        let queue = try CLIQueue()
        let path = reason == "is a directory" ? queue.directory : queue.directory + "/nope.txt"
        let base = ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com"]
        let option = String(command.split(separator: " ").last ?? "")
        let arguments: [String] = switch command {
        case "--jsonl": ["enqueue", "--jsonl", path]
        case "--attach": base + ["--subject", "s", "--body", "b", "--attach", path]
        case "--body-file": base + ["--subject", "s", "--body-file", path]
        default: ["template", "put", "--id", "t", "--lang", "en", "--subject", "s", "--body-file", path]
        }
        let result = try queue.run(arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr == "mail-queue: configuration: \(option) \(path): \(reason)\n", "\(result.output)")
        #expect(try queue.total() == 0, "nothing enqueued")
        #expect(try queue.run(["template", "list"]).stdout.isEmpty, "no template stored")
    }
}
