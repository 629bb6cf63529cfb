import Foundation
import Testing

/// Every enqueue validation error through the `mail-queue` binary: exit 1, the message names the
/// field, and nothing is enqueued.
@Suite("mail-queue CLI validation")
struct CLIValidationTests {
    /// A queue holding the template `welcome` (en) the cases use.
    static func queue() throws -> CLIQueue {
        let queue = try CLIQueue()
        try "Hello {{name}},\n{{#items}}- {{.}}\n{{/items}}".write(toFile: queue.directory + "/body.mustache", atomically: true, encoding: .utf8)
        let put = try queue.run(["template", "put", "--id", "welcome", "--lang", "en", "--subject", "Hi {{name}}",
                                 "--body-file", queue.directory + "/body.mustache"])
        #expect(put.status == 0, "\(put.output)")
        return queue
    }

    static let base = ["enqueue", "--from", "alice@example.com", "--subject", "s", "--body", "b"]

    static let cases: [(String, [String], String)] = [
        ("no recipient", base, "mail-queue: no recipient: To:"),
        ("invalid address", base + ["--to", "not an address"], "To[0]"),
        ("header injection in the subject", ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", "x\ry", "--body", "b"], "Subject"),
        ("header injection in Reply-To", base + ["--to", "bob@example.com", "--reply-to", "a@example.com\nBcc: x@example.com"], "Reply-To"),
        ("too many recipients", base + (0..<101).flatMap { ["--to", "r\($0)@example.com"] }, "101"),
        ("unknown template", ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--template", "nope"], "nope"),
        ("missing template variable", ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--template", "welcome",
                                       "--var", "items=x"], "name"),
        ("unused template variable", ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--template", "welcome",
                                      "--var", "name=Ann", "--var", "items=x", "--var", "colour=red"], "colour"),
    ]

    @Test("refused with exit 1, the field named, nothing enqueued", arguments: cases)
    func refused(_ name: String, _ arguments: [String], _ named: String) throws {
        let queue = try Self.queue()
        let result = try queue.run(arguments)
        #expect(result.status == 1, "\(name): \(result.output)")
        #expect(result.stderr.contains(named), "\(name): \(result.stderr)")
        #expect(try queue.total() == 0, "\(name): nothing is enqueued")
    }

    @Test("attachments over the maximum are refused; a valid request is enqueued and its id printed")
    func attachmentsAndSuccess() throws {
        let queue = try Self.queue()
        let big = queue.directory + "/big.bin"
        try Data(repeating: 0x41, count: 2 * 1024 * 1024 + 1).write(to: URL(fileURLWithPath: big))
        let refused = try queue.run(Self.base + ["--to", "bob@example.com", "--attach", big])
        #expect(refused.status == 1 && refused.stderr.contains("attachments"), "\(refused.output)")
        #expect(try queue.total() == 0)
        let accepted = try queue.run(["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--template", "welcome",
                                      "--var", "name=Ann", "--var", "items=x"])
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(!accepted.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the id is printed")
        #expect(try queue.total() == 1)
    }
}
