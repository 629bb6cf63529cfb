import ArgumentParser
import Foundation
import SMTPConversation

/// `convert`: a conversation captured by swaks, smtplib or JavaMail becomes a transcript.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn swaks output, Python smtplib debug output or a JavaMail mail.debug log into a transcript (credentials redacted).")

    @Option(help: ArgumentHelp("The tool that captured the conversation: swaks, smtplib or javamail.", valueName: "TOOL"))
    var from: String

    @Argument(help: "The capture, or - for standard input.")
    var file: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the transcript here instead of standard output.", valueName: "OUT"))
    var output: String?

    func validate() throws { _ = try format() }

    /// The tool named by --from; a usage error naming the value and the tools accepted otherwise.
    func format() throws -> TranscriptImporter.Format {
        guard let format = TranscriptImporter.Format(rawValue: from.lowercased()) else {
            throw ValidationError("--from takes swaks, smtplib or javamail, not '\(from)'")
        }
        return format
    }

    func run() throws {
        let format = try format()
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
        }
        let transcript: Transcript
        do { transcript = try TranscriptImporter.importing(text, format: format, name: file) } catch {
            FileHandle.standardError.write(Data("smtp-repl convert: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let rendered = "# converted from \(format.rawValue) output (\(file)) by smtp-repl convert\n" + transcript.render()
        if let output {
            do { try rendered.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            print(rendered, terminator: "")
        }
    }
}
