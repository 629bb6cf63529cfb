import Foundation
import MailQueue

/// JSONLRequest is one line of `enqueue --jsonl`:
/// `{"from": "a@x", "to": ["b@y"], "cc": [], "bcc": [], "subject": "…", "body": "…"}` or with
/// `"template": "id", "lang": "ja", "variables": {…}` instead of subject and body; optional
/// `reply_to`, `return_path`, `charset`, `pattern`, `at` (an ISO 8601 time with its offset: not
/// sent before it) and `priority` (an integer from -1000 to 1000, default 0). A recipient list
/// may be a single string.
enum JSONLRequest {
    /// The members a line may have.
    static let members: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "body", "template", "lang", "variables", "reply_to", "return_path",
        "charset", "pattern", "at", "priority",
    ]

    /// The longest line `enqueue --jsonl` reads: four times the body limit (4 MiB by default),
    /// room for a whole body written with JSON escapes and the rest of the request.
    static func maxLineBytes(_ limits: QueueLimits) -> Int { 4 * limits.maxBodyBytes }

    /// Reads one line. Unknown members and wrong types are errors naming the member.
    static func decode(_ line: some Collection<UInt8>) throws(QueueError) -> MailRequest {
        guard case .object(let object) = try TemplateValue.parseJSON(line, field: "JSON") else {
            throw QueueError(.invalidMessage, field: "JSON", reason: "a line must be a JSON object {…}")
        }
        if let unknown = object.keys.filter({ !members.contains($0) }).sorted().first {
            throw QueueError(.invalidMessage, field: unknown,
                             reason: "unknown member; a line may have \(members.sorted().joined(separator: ", "))")
        }
        func text(_ key: String) throws(QueueError) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw QueueError(.invalidMessage, field: key, reason: "must be a string")
            }
        }
        func list(_ key: String) throws(QueueError) -> [String] {
            switch object[key] {
            case nil, .null?: return []
            case .string(let value)?: return [value]
            case .list(let values)?:
                var strings: [String] = []
                for (index, value) in values.enumerated() {
                    guard case .string(let string) = value else {
                        throw QueueError(.invalidMessage, field: "\(key)[\(index)]", reason: "must be a string")
                    }
                    strings.append(string)
                }
                return strings
            default: throw QueueError(.invalidMessage, field: key, reason: "must be a list of strings")
            }
        }
        guard let from = try text("from") else { throw QueueError(.invalidMessage, field: "from", reason: "is required") }
        var variables: [String: TemplateValue] = [:]
        switch object["variables"] {
        case nil, .null?: break
        case .object(let values)?: variables = values
        default: throw QueueError(.invalidMessage, field: "variables", reason: "must be an object")
        }
        let content: MailRequest.Content
        if let template = try text("template") {
            // A template makes the subject and the body: text given as well would be lost.
            if let given = ["subject", "body"].first(where: { object[$0] != nil }) {
                throw QueueError(.invalidMessage, field: given, reason: "cannot be given with \"template\" (the template makes the subject and the body)")
            }
            content = .template(id: template, language: try text("lang") ?? "en", variables: variables)
        } else {
            if let given = ["lang", "variables"].first(where: { object[$0] != nil }) {
                throw QueueError(.invalidMessage, field: given, reason: "is for a template; give \"template\" too, or leave it out")
            }
            content = .text(subject: try text("subject") ?? "", body: try text("body") ?? "")
        }
        let notBefore = try text("at").map { (value) throws(QueueError) in try ScheduledTime.milliseconds(value, field: "at") }
        var priority = 0
        switch object["priority"] {
        case nil, .null?: break
        case .number(let value)?:
            guard let whole = Int(exactly: value) else {
                throw QueueError(.invalidMessage, field: "priority", reason: "must be a whole number")
            }
            priority = whole
        default: throw QueueError(.invalidMessage, field: "priority", reason: "must be a whole number")
        }
        return MailRequest(from: from, to: try list("to"), cc: try list("cc"), bcc: try list("bcc"),
                           replyTo: try text("reply_to"), returnPath: try text("return_path"), charset: try text("charset"),
                           patternID: try text("pattern"), content: content, notBefore: notBefore, priority: priority)
    }
}
