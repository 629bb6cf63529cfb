import Foundation
import GRDB
import MailQueue
import Testing

/// The requester API: requests commit or roll back with the application's transaction, and
/// every invalid request is refused at enqueue with an error naming the field.
@Suite("Enqueue and validation")
struct EnqueueTests {
    @Test("enqueue inside a transaction that rolls back leaves nothing; one that commits is stored unsent")
    func transactionScope() throws {
        let (store, path) = try makeSQLiteStore()
        let app = try DatabaseQueue(path: path)
        try app.write { db in try db.execute(sql: "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT)") }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try app.write { db in
                try db.execute(sql: "INSERT INTO account (name) VALUES ('rolled back')")
                try MailQueueRequester.enqueue(textRequest(), in: db)
                throw Abort()
            }
        }
        #expect(try store.counts()[.unsent] == 0)
        let id = try app.write { db -> String in
            try db.execute(sql: "INSERT INTO account (name) VALUES ('kept')")
            return try MailQueueRequester.enqueue(textRequest(), in: db)
        }
        #expect(try store.counts()[.unsent] == 1)
        let details = try store.details(id)
        #expect(details.status == .unsent)
        #expect(details.request.messageID == "<mq.\(id)@example.com>")
        #expect(try app.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account") } == 1)
    }

    func refusal(_ request: MailRequest, limits: QueueLimits = QueueLimits()) throws -> QueueError? {
        let (store, _) = try makeSQLiteStore(limits: limits)
        do {
            try store.enqueue(request)
            return nil
        } catch {
            #expect(try store.counts()[.unsent] == 0, "a refused request must leave nothing")
            return error
        }
    }

    @Test("no recipient")
    func noRecipient() throws {
        let error = try refusal(textRequest(to: []))
        #expect(error?.kind == .noRecipient)
    }

    @Test("more recipients than the maximum (default 100; 101 refused, 100 accepted)")
    func tooManyRecipients() throws {
        let many = (0..<101).map { "r\($0)@example.com" }
        let error = try refusal(textRequest(to: many))
        #expect(error?.kind == .tooManyRecipients)
        #expect(error?.reason.contains("101") == true)
        #expect(try refusal(textRequest(to: Array(many.prefix(100)))) == nil)
        #expect(try refusal(textRequest(to: Array(many.prefix(3))), limits: QueueLimits(maxRecipients: 2))?.kind == .tooManyRecipients)
    }

    @Test("attachments over the total maximum (default 2 MiB)")
    func attachmentsTooLarge() throws {
        var request = textRequest()
        request.attachments = [MailAttachment(filename: "a.bin", data: Array(repeating: 1, count: 1024 * 1024)),
                               MailAttachment(filename: "b.bin", data: Array(repeating: 2, count: 1024 * 1024 + 1))]
        let error = try refusal(request)
        #expect(error?.kind == .attachmentsTooLarge)
        #expect(error?.reason.contains("2097153") == true)
        request.attachments.removeLast()
        #expect(try refusal(request) == nil)
    }

    @Test("an invalid address names its field")
    func invalidAddress() throws {
        let error = try refusal(textRequest(to: ["bob@example.com", "not an address"]))
        #expect(error?.kind == .invalidAddress)
        #expect(error?.field == "To[1]")
        #expect(try refusal(textRequest(from: "alice@@example.com"))?.kind == .invalidAddress)
    }

    @Test("header injection in the subject, an address, reply-to, return-path and an attachment name")
    func headerInjection() throws {
        #expect(try refusal(textRequest(subject: "hi\r\nBcc: victim@example.com"))?.kind == .headerInjection)
        #expect(try refusal(textRequest(to: ["bob@example.com\r\nBcc: x@example.com"])).map { [.headerInjection, .invalidAddress].contains($0.kind) } == true)
        var request = textRequest()
        request.replyTo = "a@example.com\nX: y"
        #expect(try refusal(request).map { [.headerInjection, .invalidAddress].contains($0.kind) } == true)
        request = textRequest()
        request.returnPath = "r@example.com\r\nX: y"
        #expect(try refusal(request).map { [.headerInjection, .invalidAddress].contains($0.kind) } == true)
        request = textRequest()
        request.attachments = [MailAttachment(filename: "a\r\nContent-Type: text/html", data: [1])]
        #expect(try refusal(request)?.kind == .headerInjection)
    }

    @Test("unknown template, unknown language")
    func unknownTemplate() throws {
        let (store, _) = try makeSQLiteStore()
        try store.putTemplate(MailTemplate(id: "welcome", language: "ja", subject: "ようこそ {{name}}", body: "{{name}} 様\n"))
        let request = MailRequest(from: "a@example.com", to: ["b@example.com"],
                                  content: .template(id: "welcome", language: "en", variables: ["name": "Taro"]))
        #expect { try store.enqueue(request) } throws: { ($0 as? QueueError)?.kind == .unknownTemplate }
        let other = MailRequest(from: "a@example.com", to: ["b@example.com"],
                                content: .template(id: "nope", language: "ja", variables: [:]))
        #expect { try store.enqueue(other) } throws: { ($0 as? QueueError)?.kind == .unknownTemplate }
    }

    @Test("a template variable missing or unused is refused, naming it")
    func variableChecks() throws {
        let template = MailTemplate(id: "t", language: "ja", subject: "{{name}} さん", body: "住所: {{address}}\n")
        #expect {
            try TemplateRenderer.render(template, variables: ["name": "太郎"])
        } throws: { ($0 as? QueueError)?.kind == .missingVariable && "\($0)".contains("address") }
        #expect {
            try TemplateRenderer.render(template, variables: ["name": "太郎", "address": "東京", "tel": "03"])
        } throws: { ($0 as? QueueError)?.kind == .unusedVariable && "\($0)".contains("tel") }
        let (subject, body) = try TemplateRenderer.render(template, variables: ["name": "太郎", "address": "東京 & <大阪>"])
        #expect(subject == "太郎 さん")
        #expect(body == "住所: 東京 & <大阪>\n", "mail text is not HTML-escaped")
    }

    @Test("loops and conditionals on structured values; null renders empty")
    func structured() throws {
        let template = MailTemplate(
            id: "order", language: "en", subject: "Order {{order.number}}",
            body: "{{#items}}- {{name}} x{{qty}}\n{{/items}}{{^paid}}Please pay.\n{{/paid}}Note:{{note}}.\n")
        let (subject, body) = try TemplateRenderer.render(template, variables: [
            "order": .object(["number": .number(42)]),
            "items": .list([.object(["name": "pen", "qty": .number(2)]), .object(["name": "ink", "qty": .number(1)])]),
            "paid": .bool(false), "note": .null,
        ])
        #expect(subject == "Order 42")
        #expect(body == "- pen x2\n- ink x1\nPlease pay.\nNote:.\n")
    }

    @Test("a template request is stored rendered, in the template's charset")
    func templateEnqueue() throws {
        let (store, _) = try makeSQLiteStore()
        try store.putTemplate(MailTemplate(id: "welcome", language: "ja", subject: "ようこそ {{name}} 様",
                                           body: "{{name}} 様、登録が完了しました。\n", charset: "ISO-2022-JP"))
        let id = try store.enqueue(MailRequest(from: "a@example.com", to: ["b@example.com"],
                                               content: .template(id: "welcome", language: "ja", variables: ["name": "太郎"])))
        let stored = try store.load(id)
        #expect(stored.subject == "ようこそ 太郎 様")
        #expect(stored.charset == "ISO-2022-JP")
        #expect(stored.body.hasPrefix("太郎 様"))
        // A character ISO-2022-JP cannot carry is refused at enqueue, naming the field.
        #expect {
            try store.enqueue(MailRequest(from: "a@example.com", to: ["b@example.com"],
                                          content: .template(id: "welcome", language: "ja", variables: ["name": "①"])))
        } throws: { ($0 as? QueueError)?.kind == .invalidMessage }
    }

    @Test("statements carry bound values, in each dialect's placeholder style, with mapped names")
    func statements() throws {
        var schema = QueueSchema()
        schema.requests.table = "MAIL_REQUEST"
        schema.requests.subject = "SUBJECT"
        let stored = try RequestPreparer().prepare(textRequest(subject: "'; DROP TABLE x; --"), template: nil, id: "abc")
        let pg = EnqueueStatements(dialect: .postgres, schema: schema).insert(stored, now: 5)
        #expect(pg[0].sql.contains("INSERT INTO \"MAIL_REQUEST\""))
        #expect(pg[0].sql.contains("\"SUBJECT\""))
        #expect(pg[0].sql.contains("$12") && !pg[0].sql.contains("?"))
        #expect(!pg[0].sql.contains("DROP"), "values are bound, never spliced")
        #expect(pg[0].bindings.contains(.text("'; DROP TABLE x; --")))
        let lite = EnqueueStatements(dialect: .sqlite).insert(stored, now: 5)
        #expect(lite[0].sql.filter { $0 == "?" }.count == lite[0].bindings.count)
        #expect(lite.count == 2, "one request row and one recipient row")
        // PostgreSQL's end with NOTIFY on the request table's channel (the daemon's wake-up).
        #expect(pg.last?.sql == "NOTIFY \"MAIL_REQUEST\"" && pg.last?.bindings.isEmpty == true, "\(pg.last?.sql ?? "")")
        #expect(pg.count == 3, "request, recipient, NOTIFY")
        #expect(!lite.contains { $0.sql.contains("NOTIFY") })
    }
}
