import Foundation
import MailQueue

/// JSONLRequest is one line of `enqueue --jsonl`:
/// `{"from": "a@x", "to": ["b@y"], "cc": [], "bcc": [], "subject": "…", "body": "…"}` or with
/// `"template": "id", "lang": "ja", "variables": {…}` instead of subject and body; optional
/// `reply_to`, `return_path`, `charset`, `pattern`.
struct JSONLRequest: Decodable {
    var from: String
    var to: [String]?
    var cc: [String]?
    var bcc: [String]?
    var subject: String?
    var body: String?
    var template: String?
    var lang: String?
    var variables: [String: TemplateValue]?
    var reply_to: String?
    var return_path: String?
    var charset: String?
    var pattern: String?

    static func decode(_ data: Data, decoder: JSONDecoder = JSONDecoder()) throws -> MailRequest {
        let line = try decoder.decode(JSONLRequest.self, from: data)
        let content: MailRequest.Content = line.template.map {
            .template(id: $0, language: line.lang ?? "en", variables: line.variables ?? [:])
        } ?? .text(subject: line.subject ?? "", body: line.body ?? "")
        return MailRequest(from: line.from, to: line.to ?? [], cc: line.cc ?? [], bcc: line.bcc ?? [],
                           replyTo: line.reply_to, returnPath: line.return_path, charset: line.charset,
                           patternID: line.pattern, content: content)
    }
}
