import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

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
