import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enqueue one request from flags, or many from a JSON Lines file; prints each id.",
        discussion: """
            Limits: 100 recipients, 2 MiB of attachments in all, 1 MiB of body; a request over one is refused \
            (exit 1) before anything is read past it. Files must be regular files (a device or FIFO: exit 2). \
            An address MAIL FROM or RCPT TO cannot carry (a quoted local part with a space, < or >) is refused.
            """)
    @OptionGroup var db: DatabaseOptions
    @Option(help: "From address.") var from: String?
    @Option(help: "To address (repeatable).") var to: [String] = []
    @Option(help: "Cc address (repeatable).") var cc: [String] = []
    @Option(help: "Bcc address (repeatable).") var bcc: [String] = []
    @Option(help: "Reply-To.") var replyTo: String?
    @Option(help: "Return-Path (envelope sender).") var returnPath: String?
    @Option(help: "Subject (free text).") var subject: String?
    @Option(help: "Body text.") var body: String?
    @Option(help: "File holding the body text (a regular file; at most 1 MiB).") var bodyFile: String?
    @Option(help: "Template id.") var template: String?
    @Option(help: "Template language (default en).") var lang: String?
    @Option(help: "Template variable NAME=VALUE (repeatable).") var `var`: [String] = []
    @Option(help: "Charset.") var charset: String?
    @Option(help: "Send pattern id: 1 to 64 ASCII letters, digits, '.', '_', '-' and ':'.") var pattern: String?
    @Option(help: "Attach a regular file (repeatable; at most 2 MiB in all).") var attach: [String] = []
    @Option(help: "JSON Lines file: one request object per line, each line at most 4 MiB (see README).") var jsonl: String?
    @Option(help: "Send not before this ISO 8601 time with its offset (2026-12-24T18:00:00+09:00, 2026-12-24T09:00:00Z).")
    var at: String?
    @Option(help: "Priority from -1000 to 1000 (default 0): among due requests a higher one is sent first, then the longest due.")
    var priority: Int?

    func validate() throws {
        if jsonl != nil {
            // Each line is a whole request: a flag for one request would be silently ignored.
            let given: [(Bool, String)] = [
                (from != nil, "--from"), (!to.isEmpty, "--to"), (!cc.isEmpty, "--cc"), (!bcc.isEmpty, "--bcc"),
                (replyTo != nil, "--reply-to"), (returnPath != nil, "--return-path"), (subject != nil, "--subject"),
                (body != nil, "--body"), (bodyFile != nil, "--body-file"), (template != nil, "--template"),
                (lang != nil, "--lang"), (!`var`.isEmpty, "--var"), (charset != nil, "--charset"),
                (pattern != nil, "--pattern"), (!attach.isEmpty, "--attach"), (at != nil, "--at"),
                (priority != nil, "--priority"),
            ]
            if let (_, name) = given.first(where: \.0) {
                throw ValidationError("\(name) cannot be given with --jsonl (each line is a whole request; give it there)")
            }
        }
        if template != nil {
            // A template makes the subject and the body: text given as well would be lost.
            for (given, name) in [(subject != nil, "--subject"), (body != nil, "--body"), (bodyFile != nil, "--body-file")] where given {
                throw ValidationError("\(name) cannot be given with --template (the template makes the subject and the body)")
            }
        } else if !`var`.isEmpty {
            throw ValidationError("--var is for a template; give --template too")
        } else if lang != nil {
            throw ValidationError("--lang is for a template; give --template too")
        }
        if body != nil && bodyFile != nil { throw ValidationError("give --body or --body-file, not both") }
        _ = try schedule()
    }

    /// `--at` and `--priority`, checked: a usage error (exit 2) names the value refused.
    func schedule() throws -> (notBefore: Int64?, priority: Int) {
        do throws(QueueError) {
            let notBefore = try at.map { (text) throws(QueueError) in try ScheduledTime.milliseconds(text, field: "--at") }
            try RequestPreparer.checkSchedule(notBefore: notBefore, priority: priority ?? 0)
            return (notBefore, priority ?? 0)
        } catch {
            let option = ["priority": "--priority", "not_before": "--at '\(at ?? "")'"][error.field] ?? error.field
            throw ValidationError("\(option): \(TerminalText.escaped(error.reason))")
        }
    }

    func request(limits: QueueLimits) throws -> MailRequest {
        guard let from else { throw ValidationError("--from is required (or use --jsonl)") }
        let content: MailRequest.Content
        if let template {
            var variables: [String: TemplateValue] = [:]
            for pair in `var` {
                guard let eq = pair.firstIndex(of: "=") else { throw ValidationError("--var \(pair): expected NAME=VALUE") }
                variables[String(pair[..<eq])] = .string(String(pair[pair.index(after: eq)...]))
            }
            content = .template(id: template, language: lang ?? "en", variables: variables)
        } else {
            let text = try bodyFile.map { try InputFile.text($0, option: "--body-file", limit: .body(limits)) } ?? body ?? ""
            content = .text(subject: subject ?? "", body: text)
        }
        var remaining = limits.maxAttachmentBytes
        let attachments = try attach.map { path in
            let data = try InputFile.bytes(path, option: "--attach", limit: .attachment(remaining: remaining, limits: limits))
            remaining -= data.count
            return MailAttachment(filename: URL(fileURLWithPath: path).lastPathComponent, data: Array(data))
        }
        let (notBefore, priority) = try schedule()
        return MailRequest(from: from, to: to, cc: cc, bcc: bcc, replyTo: replyTo, returnPath: returnPath, charset: charset,
                           patternID: pattern, content: content, attachments: attachments, notBefore: notBefore,
                           priority: priority)
    }

    func run() throws {
        let store = try db.open()
        try guarded { () throws(QueueError) in try store.checkSchema() }
        if let jsonl {
            var failed = false
            // A chunk at a time, a line at most maxLine: the file may hold any number of requests.
            let maxLine = JSONLRequest.maxLineBytes(store.limits)
            try InputFile.lines(jsonl, option: "--jsonl", maxLine: maxLine) { number, line in
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
                do {
                    let request = try JSONLRequest.decode(line)
                    let id = try store.enqueue(request)
                    print(id)
                } catch {
                    failed = true
                    Console.error("mail-queue: \(jsonl):\(number): \(error)")
                }
            }
            if failed { throw ExitStatus.notAllSent }
            return
        }
        let request = try request(limits: store.limits)
        let id = try guarded { () throws(QueueError) in try store.enqueue(request) }
        print(id)
    }
}
