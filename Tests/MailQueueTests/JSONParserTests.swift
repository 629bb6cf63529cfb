import Foundation
import MailQueue
import Testing

/// `TemplateValue.parseJSON` (what `enqueue --jsonl` reads lines with) against Foundation's
/// JSONSerialization, a parser no one here wrote: the same values from valid texts, a refusal
/// for invalid ones; and the stricter checks of its own.
@Suite("JSON lines parser")
struct JSONParserTests {
    /// Foundation's view of a JSON value, as a TemplateValue.
    static func foundation(_ text: String) -> TemplateValue? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return nil }
        func convert(_ value: Any) -> TemplateValue {
            switch value {
            case let string as String: return .string(string)
            case let number as NSNumber:
                // Foundation gives true and false as NSNumber of type char ("c").
                if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
                return .number(number.doubleValue)
            case let list as [Any]: return .list(list.map(convert))
            case let object as [String: Any]: return .object(object.mapValues(convert))
            default: return .null
            }
        }
        return convert(any)
    }

    @Test("valid texts give what Foundation gives", arguments: [
        #"{"from": "a@example.com", "to": ["b@example.com", "c@example.com"], "subject": "hi", "body": "line 1\nline 2"}"#,
        #"{"s": "quote \" backslash \\ slash \/ controls \b\f\n\r\t"}"#,
        #"{"ja": "日本語の件名", "escaped": "\u65e5\u672c", "emoji": "\ud83d\udce7 mail", "raw emoji": "📧"}"#,
        #"[0, -0, 1, -1, 3.25, 1e3, 1E-3, -2.5e+2, 12345678901234]"#,
        #"{"nested": {"items": [{"name": "a", "paid": true}, {"name": "b", "paid": false}], "none": null}}"#,
        #"  {"empty object": {}, "empty list": [], "empty string": ""}  "#,
        "\"just a string\"", "true", "null", "42",
    ])
    func agreesWithFoundation(_ text: String) throws {
        let ours = try TemplateValue.parseJSON(Array(text.utf8))
        #expect(ours == Self.foundation(text))
    }

    @Test("invalid texts are refused with the byte offset", arguments: [
        "", "{", "{\"a\" 1}", "[1 2]", "{'a': 1}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": .5}",
        "{\"a\": -}", "{\"a\": 1e}", "{\"a\": tru}", "{\"a\": \"open}", "{\"a\": \"bad \\x escape\"}",
        "{\"a\": \"\\u12G4\"}", "{\"a\": 1} trailing", "{\"a\": \"raw\ttab\"}", "{a: 1}",
    ])
    func refusesInvalid(_ text: String) throws {
        let error = try #require(throws: QueueError.self) { try TemplateValue.parseJSON(Array(text.utf8)) }
        #expect(error.reason.contains("invalid JSON at byte"), "\(error)")
        #expect(Self.foundation(text) == nil, "Foundation accepts \(text): the corpus is wrong")
    }

    @Test("stricter than Foundation: trailing commas, repeated names, lone surrogates, invalid UTF-8, deep nesting")
    func stricter() throws {
        #expect(throws: QueueError.self) { try TemplateValue.parseJSON(Array(#"{"a": 1,}"#.utf8)) }
        #expect(throws: QueueError.self) { try TemplateValue.parseJSON(Array("[1,]".utf8)) }
        #expect(throws: QueueError.self) { try TemplateValue.parseJSON(Array(#"{"to": "a", "to": "b"}"#.utf8)) }
        #expect(throws: QueueError.self) { try TemplateValue.parseJSON(Array(#"{"a": "\ud83d alone"}"#.utf8)) }
        #expect(throws: QueueError.self) { try TemplateValue.parseJSON(Array(#"{"a": "\udce7"}"#.utf8)) }
        #expect(throws: QueueError.self) { try TemplateValue.parseJSON([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = try #require(throws: QueueError.self) { try TemplateValue.parseJSON(Array(deep.utf8)) }
        #expect(error.reason.contains("64 levels"))
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try TemplateValue.parseJSON(Array(fine.utf8)) }
    }

    @Test("enqueue --jsonl: a wrong member or type names it and the line; the good lines are enqueued")
    func throughTheBinary() throws {
        let directory = try temporaryDirectory()
        let database = "sqlite:\(directory)/queue.sqlite"
        #expect(try runProcess(TestEnvironment.binary, ["init", "--database", database]).status == 0)
        let lines = [
            #"{"from": "a@example.com", "to": ["b@example.com"], "subject": "ok 1", "body": "b"}"#,
            #"{"from": "a@example.com", "too": ["b@example.com"], "subject": "typo", "body": "b"}"#,
            #"{"from": "a@example.com", "to": [42], "subject": "number", "body": "b"}"#,
            #"{"from": "a@example.com", "to": ["b@example.com"], "subject": "broken", "body": "b""#,
            "",
            #"{"from": "a@example.com", "to": "c@example.com", "subject": "ok 2 \u2709", "body": "b"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/in.jsonl", atomically: true, encoding: .utf8)
        let result = try runProcess(TestEnvironment.binary, ["enqueue", "--database", database, "--jsonl", directory + "/in.jsonl"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stdout.split(separator: "\n").count == 2, "two ids printed: \(result.stdout)")
        #expect(result.stderr.contains("in.jsonl:2: too: unknown member"), "\(result.stderr)")
        #expect(result.stderr.contains("in.jsonl:3: to[0]: must be a string"), "\(result.stderr)")
        #expect(result.stderr.contains("in.jsonl:4: JSON: invalid JSON at byte"), "\(result.stderr)")
        #expect(!result.stderr.contains("in.jsonl:5"), "a blank line is skipped")
    }
}
