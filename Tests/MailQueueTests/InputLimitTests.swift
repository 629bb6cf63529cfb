import Foundation
import Testing

/// Files named on `mail-queue enqueue`'s command line are checked before they are read: a
/// device or FIFO is refused (exit 2, naming the option and path), a file over its limit is
/// refused from its size without reading it (the child's peak RSS stays small), and the body
/// has a limit of its own. An address the sender would refuse is refused at enqueue.
@Suite("mail-queue input limits")
struct InputLimitTests {
    static let base = ["enqueue", "--from", "alice@example.com", "--to", "bob@example.com", "--subject", "s"]

    /// Runs `mail-queue ARGS` under `/usr/bin/time`, killed after 30 s; the result and the
    /// child's peak resident set in KiB.
    func measured(_ queue: CLIQueue, _ arguments: [String]) throws -> (ProcessResult, Int) {
        let report = queue.directory + "/rss-\(UUID().uuidString)"
        let result = try runProcess(
            "/usr/bin/time", ["-f", "%M", "-o", report, TestEnvironment.binary] + arguments + ["--database", queue.database],
            timeout: 30)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        let kib = Int(text.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") ?? -1
        return (result, kib)
    }

    /// The peak a refused enqueue may reach (it starts at about 30 MiB); reading a 1 GiB file whole would pass 1 GiB.
    static let boundKiB = 100 * 1024

    @Test("a device or a FIFO given as --attach, --body-file or --jsonl is refused unread: exit 2, the option and path named",
          arguments: [["--attach", "/dev/zero"], ["--body-file", "/dev/zero"], ["--jsonl", "/dev/zero"], ["--attach", "FIFO"], ["--jsonl", "FIFO"]])
    func notRegular(_ option: [String]) throws {
        let queue = try CLIQueue()
        let fifo = queue.directory + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let path = option[1] == "FIFO" ? fifo : option[1]
        let arguments = option[0] == "--jsonl" ? ["enqueue", "--jsonl", path] : Self.base + [option[0], path]
        let (result, kib) = try measured(queue, arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("\(option[0]) \(path): is a \(option[1] == "FIFO" ? "pipe" : "device"), not a regular file"),
                "\(result.stderr)")
        #expect(kib > 0 && kib < Self.boundKiB, "peak RSS \(kib) KiB")
        #expect(try queue.total() == 0)
    }

    @Test("a 1 GiB sparse file is refused from its size, without being read (bounded peak RSS)",
          arguments: ["--attach", "--body-file", "--jsonl"])
    func sparse(_ option: String) throws {
        let queue = try CLIQueue()
        let big = queue.directory + "/sparse.bin"
        let truncated = try runProcess("truncate", ["-s", "1G", big])
        #expect(truncated.status == 0, "\(truncated.output)")
        let arguments = option == "--jsonl" ? ["enqueue", "--jsonl", big] : Self.base + [option, big]
        let (result, kib) = try measured(queue, arguments)
        switch option {
        case "--attach":
            #expect(result.status == 1 && result.stderr.contains("at most 2097152 are allowed"), "\(result.output)")
        case "--body-file":
            #expect(result.status == 1 && result.stderr.contains("body too large: body: the body is 1073741824 bytes; at most 1048576"),
                    "\(result.output)")
        default:
            // A file of any size is read a chunk at a time; its one endless line is refused.
            #expect(result.status == 2 && result.stderr.contains("--jsonl \(big):1: the line is longer than 4194304 bytes"), "\(result.output)")
        }
        #expect(kib > 0 && kib < Self.boundKiB, "peak RSS \(kib) KiB reading \(option) of 1 GiB")
        #expect(try queue.total() == 0)
    }

    @Test("--password-file: a device is refused unread; a pipe is read up to 4096 bytes and no further")
    func passwordFile() throws {
        let queue = try CLIQueue()
        let send = ["send", "--once", "--smtp", "127.0.0.1:9", "--user", "u", "--password-file"]
        let (device, deviceKiB) = try measured(queue, send + ["/dev/zero"])
        #expect(device.status == 2 && device.stderr.contains("--password-file /dev/zero: is a device"), "\(device.output)")
        #expect(deviceKiB > 0 && deviceKiB < Self.boundKiB)
        // A FIFO fed without end by a writer: read up to the limit, then refused.
        let fifo = queue.directory + "/pw"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "exec cat /dev/zero > '\(fifo)'"]
        let writing = try Child(writer)
        defer { writing.stop(SIGKILL) }
        let (piped, pipedKiB) = try measured(queue, send + [fifo])
        #expect(piped.status == 2 && piped.stderr.contains("holds 4097 bytes or more"), "\(piped.output)")
        #expect(pipedKiB > 0 && pipedKiB < Self.boundKiB)
    }

    @Test("the body limit (1 MiB) applies to --body-file, --body and JSON Lines bodies; at the limit it is accepted")
    func bodyLimit() throws {
        let queue = try CLIQueue()
        let limit = 1024 * 1024
        let atLimit = queue.directory + "/at.txt", over = queue.directory + "/over.txt"
        try Data(repeating: 0x61, count: limit).write(to: URL(fileURLWithPath: atLimit))
        try Data(repeating: 0x61, count: limit + 1).write(to: URL(fileURLWithPath: over))
        let refused = try queue.run(Self.base + ["--body-file", over])
        #expect(refused.status == 1 && refused.stderr.contains("the body is \(limit + 1) bytes; at most \(limit)"), "\(refused.stderr)")
        let accepted = try queue.run(Self.base + ["--body-file", atLimit])
        #expect(accepted.status == 0, "\(accepted.stderr)")

        let line = "{\"from\": \"alice@example.com\", \"to\": \"bob@example.com\", \"subject\": \"s\", \"body\": \"\(String(repeating: "a", count: limit + 1))\"}\n"
        try (line + "{\"from\": \"alice@example.com\", \"to\": \"bob@example.com\", \"subject\": \"s\", \"body\": \"ok\"}\n")
            .write(toFile: queue.directory + "/r.jsonl", atomically: true, encoding: .utf8)
        let jsonl = try queue.run(["enqueue", "--jsonl", queue.directory + "/r.jsonl"])
        #expect(jsonl.status == 1 && jsonl.stderr.contains("r.jsonl:1: body: the body is \(limit + 1) bytes"), "\(jsonl.stderr)")
        #expect(try queue.total() == 2, "the good line and the file at the limit")
    }

    @Test("attachments: the limit counts every --attach together, and each file is checked before it is read")
    func attachmentsTogether() throws {
        let queue = try CLIQueue()
        let half = queue.directory + "/half.bin"
        try Data(repeating: 0x41, count: 1024 * 1024 + 1).write(to: URL(fileURLWithPath: half))
        let refused = try queue.run(Self.base + ["--body", "b", "--attach", half, "--attach", half])
        #expect(refused.status == 1 && refused.stderr.contains("attachments too large"), "\(refused.output)")
        let one = try queue.run(Self.base + ["--body", "b", "--attach", half])
        #expect(one.status == 0, "\(one.output)")
    }

    @Test("an address the sender's MAIL FROM or RCPT TO cannot carry is refused at enqueue, with the field and reason",
          arguments: [("--to", "\"a>b\"@example.com", "To[0]"), ("--to", "\"john doe\"@example.com", "To[0]"),
                      ("--from", "\"x<y\"@example.com", "From"), ("--return-path", "\"a b\"@example.com", "Return-Path")])
    func unsendableAddress(_ flag: String, _ address: String, _ field: String) throws {
        let queue = try CLIQueue()
        var arguments = ["enqueue", "--subject", "s", "--body", "b"]
        arguments += flag == "--from" ? ["--from", address, "--to", "bob@example.com"] : ["--from", "alice@example.com", "--to", "bob@example.com"]
        if flag == "--to" { arguments[arguments.count - 1] = address }
        if flag == "--return-path" { arguments += ["--return-path", address] }
        let result = try queue.run(arguments)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("invalid address: \(field):") && result.stderr.contains("is not a mailbox"), "\(result.stderr)")
        #expect(try queue.total() == 0)
    }
}
