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

/// `ms` (since 1970) as an RFC 3339 UTC time, e.g. `2026-11-24T05:20:01Z`.
func timestamp(_ ms: Int64) -> String {
    var seconds = time_t(ms / 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
}

/// Runs `body`, turning a QueueError into a message on stderr and the matching exit code.
func guarded<T>(_ body: () throws(QueueError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        Console.error("mail-queue: \(error.kindWords): \(error)")
        switch error.kind {
        // A request id or template that does not exist is the caller's mistake, like a usage error.
        case .database, .schema, .configuration, .notFound: throw ExitStatus.configuration
        default: throw ExitStatus.notAllSent
        }
    }
}

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

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "template", abstract: "Manage templates.",
                                                    subcommands: [Put.self, List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored templates: id, language, charset, subject.")
        @OptionGroup var db: DatabaseOptions

        func run() throws {
            let store = try db.open()
            let templates = try guarded { () throws(QueueError) in
                try store.checkSchema()
                return try store.templates()
            }
            for t in templates { print([t.id, t.language, t.charset, t.subject].map { Console.field($0) }.joined(separator: "\t")) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one template's subject and body (exit 2 when there is no such template).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Template id.") var id: String
        @Option(help: "Language.") var lang: String

        func run() throws {
            let store = try db.open()
            let found = try guarded { () throws(QueueError) in
                try store.checkSchema()
                return try store.template(id: id, language: lang)
            }
            guard let template = found else {
                Console.error("mail-queue: not found: no template '\(id)' in language '\(lang)'")
                throw ExitStatus.configuration
            }
            print("subject: \(Console.field(template.subject))")
            print("charset: \(Console.field(template.charset))")
            print("")
            let body = TerminalText.escaped(template.body, keepingLineBreaks: true)
            print(body, terminator: body.hasSuffix("\n") ? "" : "\n")
        }
    }

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a template (subject and body are mustache).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Template id.") var id: String
        @Option(help: "Language.") var lang: String
        @Option(help: "Subject template.") var subject: String
        @Option(help: "File holding the body template (a regular file; at most 1 MiB).") var bodyFile: String
        @Option(help: "Charset.") var charset: String = "UTF-8"

        func run() throws {
            let store = try db.open()
            let body = try InputFile.text(bodyFile, option: "--body-file", limit: .body(store.limits))
            try guarded { () throws(QueueError) in
                try store.checkSchema()
                try store.putTemplate(MailTemplate(id: id, language: lang, subject: subject, body: body, charset: charset))
            }
            print("stored template \(Console.field(id)) (\(Console.field(lang)))")
        }
    }
}

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

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Count requests by status; list uncertain ones.")
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        let store = try db.open()
        let (counts, uncertain, waiting, failed, scheduled, priorities) = try guarded { () throws(QueueError) in
            try store.checkSchema()
            // The latest failed requests with their recorded replies, explained.
            let failed = try store.ids(in: .failed, limit: Self.failedShown).map { id throws(QueueError) in (id, try store.details(id).lastError) }
            return (try store.counts(), try store.ids(in: .uncertain, limit: 100), try store.waiting(), failed,
                    try store.scheduled(), try store.unsentByPriority())
        }
        if json {
            var object: [String: Any] = [:]
            for status in RequestStatus.allCases { object[status.rawValue] = counts[status] ?? 0 }
            object["uncertain_ids"] = uncertain
            object["waiting_to_retry"] = waiting.count
            object["next_retry_at"] = waiting.next.map { timestamp($0) } ?? NSNull()
            object["scheduled"] = scheduled.count
            object["next_scheduled_at"] = scheduled.next.map { timestamp($0) } ?? NSNull()
            object["unsent_by_priority"] = priorities.map { ["priority": $0.priority, "count": $0.count] }
            object["failed_requests"] = failed.map { id, error -> [String: Any] in
                var item: [String: Any] = ["id": id, "last_error": error ?? NSNull()]
                if let explanation = error.flatMap(RecordedReply.explanation(of:)) {
                    let fix: Any = explanation.fix ?? NSNull()
                    item["explanation"] = ["id": explanation.id, "vendor": explanation.vendor, "cause": explanation.cause, "fix": fix] as [String: Any]
                }
                return item
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for status in RequestStatus.allCases {
                var line = "\(status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(counts[status] ?? 0)"
                if status == .unsent, waiting.count > 0, let next = waiting.next {
                    line += "  (\(waiting.count) waiting to retry; the next at \(timestamp(next)))"
                }
                if status == .unsent, scheduled.count > 0, let next = scheduled.next {
                    line += "  (\(scheduled.count) scheduled; the first at \(timestamp(next)))"
                }
                print(line)
                if status == .unsent, priorities.contains(where: { $0.priority != 0 }) {
                    print("  by priority: " + priorities.map { "\($0.priority): \($0.count)" }.joined(separator: ", "))
                }
            }
            if !uncertain.isEmpty {
                print("delivery uncertain (the final \".\" was sent, no reply recorded; `retry ID` resends):")
                for id in uncertain { print("  \(id)") }
            }
            if !failed.isEmpty {
                print("failed (up to \(Self.failedShown); `show ID` for each):")
                for (id, error) in failed {
                    print("  \(id)  \(Console.field(error ?? "-"))")
                    if let explanation = error.flatMap(RecordedReply.explanation(of:)) { print("    explained: \(Console.field(Self.explained(explanation)))") }
                }
            }
        }
    }

    /// How many failed requests `status` lists.
    static let failedShown = 20

    /// An explanation on one line: `Office365: cause; fix: …`.
    static func explained(_ explanation: ReplyExplanation) -> String { "\(explanation.vendor): \(explanation)" }
}

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
            for line in String(decoding: headers, as: UTF8.self).split(separator: "\r\n") { print("  " + Console.field(String(line))) }
        }
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make requests due now: failed ones, delivery-uncertain ones (this may send twice), or ones waiting for their retry time.",
        discussion: """
            Exit codes: 0 every request named was queued again; 1 some were left alone (sent, being sent, or already \
            due); 2 an id does not exist (then nothing is changed), or a usage or database error.
            """)
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "Request ids.") var ids: [String] = []
    @Flag(help: "Every failed request (narrowed by --since, --reply-class, --pattern).") var failed = false
    @Option(help: "--failed: only those that failed within this long (90s, 15m, 12h, 30d).") var since: String?
    @Option(help: "--failed: only those whose recorded reply is 4xx or 5xx.") var replyClass: String?
    @Option(help: "--failed: only this send pattern.") var pattern: String?

    func validate() throws {
        if ids.isEmpty == !failed { throw ValidationError("give request ids or --failed") }
        if !failed, let given = [(since, "--since"), (replyClass, "--reply-class"), (pattern, "--pattern")].first(where: { $0.0 != nil }) {
            throw ValidationError("\(given.1) narrows --failed; give --failed too")
        }
    }

    func run() throws {
        let store = try db.open()
        if failed {
            let filter = try guarded { () throws(QueueError) -> RetryFilter in
                RetryFilter(sinceMillis: try since.map { (text) throws(QueueError) in try RetentionDuration.milliseconds(text, field: "--since") },
                            replyClass: try replyClass.map { (text) throws(QueueError) in try RetryFilter.replyClass(text, field: "--reply-class") },
                            pattern: pattern)
            }
            let n = try guarded { () throws(QueueError) in try store.retryFailed(filter) }
            print("\(n) request(s) queued again")
        } else {
            let changed = try guarded { () throws(QueueError) in try store.retry(ids) }
            for id in ids where !changed.contains(id) {
                Console.error("mail-queue: \(id): not failed, uncertain (unclaimed) or waiting to retry; left alone")
            }
            print("\(changed.count) request(s) queued again")
            if changed.count != ids.count { throw ExitStatus.notAllSent }
        }
    }
}

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
