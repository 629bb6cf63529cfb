import ArgumentParser
import Foundation
import SMTPConversation
import SMTPTranscript

/// `convert`: a conversation captured by another tool becomes a transcript.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a captured SMTP conversation (JavaMail mail.debug, smtplib, swaks, C:/S:, openssl s_client/telnet, PHPMailer, curl -v, Postfix debug_peer_list) into a transcript.",
        discussion: """
            The capture may sit inside any log: build-tool lines, logger prefixes (time stamps, levels, thread \
            names), indentation, stack traces and lines wrapped at a fixed width are recognised; lines that are \
            not part of the conversation are skipped and counted (--verbose lists them). UTF-8, UTF-16 (with or \
            without a BOM), CRLF and LF are read. Credentials become {secret}; Date:, Message-ID: and queue ids \
            become patterns. The first conversation in the capture is converted. A capture with no SMTP \
            conversation in it is refused (exit 2).
            """)

    @Option(help: ArgumentHelp(
        "The tool that captured the conversation: \(TranscriptImporter.Format.allCases.map(\.rawValue).joined(separator: ", ")) (default: detected).",
        valueName: "TOOL"))
    var from: String?

    @Argument(help: "The capture, or - for standard input.")
    var file: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the transcript here instead of standard output.", valueName: "OUT"))
    var output: String?

    @Flag(name: .shortAndLong, help: "List the skipped lines (with their line numbers) on standard error.")
    var verbose = false

    func validate() throws { _ = try format() }

    /// The tool named by --from (nil: detect); a usage error naming the value and the tools accepted otherwise.
    func format() throws -> TranscriptImporter.Format? {
        guard let from else { return nil }
        guard let format = TranscriptImporter.Format(name: from) else {
            let names = TranscriptImporter.Format.allCases.map(\.rawValue)
            throw ValidationError("--from takes \(names.dropLast().joined(separator: ", ")) or \(names.last!), not '\(from)'")
        }
        return format
    }

    func run() throws {
        let format = try format()
        var importer = CaptureImport(format: format, name: file, keepSkipped: verbose)
        do throws(CaptureFile.Failure) {
            try CaptureFile(path: file).read { importer.feed($0) }
        } catch {
            FileHandle.standardError.write(Data("smtp-repl convert: \(TerminalText.escaped(error.description))\n".utf8))
            throw ExitCode(2)
        }
        let result: TranscriptImporter.Result
        do { result = try importer.finish() } catch {
            FileHandle.standardError.write(Data("smtp-repl convert: \(TerminalText.escaped("\(error)", keepingLineBreaks: true))\n".utf8))
            throw ExitCode(2)
        }
        let how = result.detected ? "detected" : "given"
        var summary = "smtp-repl convert: \(file): \(result.format.rawValue) output (\(how))"
        summary += ", \(result.skipped) non-SMTP lines skipped"
        if result.elided > 0 { summary += ", \(result.elided) elisions" }
        if result.assumedGreeting { summary += ", greeting assumed" }
        if result.laterConversations > 0 { summary += ", \(result.laterConversations) later conversations not converted" }
        if let width = result.wrapWidth { summary += ", lines wrapped at \(width) columns joined" }
        if result.encoding != "UTF-8" { summary += ", read as \(result.encoding)" }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        if verbose {
            var listing = ""
            for line in result.skippedLines { listing += "\(file):\(line.line): skipped: \(line.text)\n" }
            FileHandle.standardError.write(Data(listing.utf8))
        }
        let rendered = "# converted from \(result.format.rawValue) output (\(file)) by smtp-repl convert\n" + result.transcript.render()
        if let output {
            do throws(PrivateFile.Failure) { try PrivateFile.write(rendered, to: output) } catch {
                throw ValidationError(error.description)
            }
        } else {
            print(rendered, terminator: "")
        }
    }
}
