import Foundation
import SMTPConversation
import SMTPTranscript

/// FieldLogs wraps a capture the ways people paste them: inside a CI build log, indented, behind
/// a logger's prefix, wrapped at 80 columns.
enum FieldLogs {
    /// The capture between Jenkins pipeline lines.
    static func buildLog(_ capture: String) -> String {
        "Started by user admin\n[Pipeline] Start of Pipeline\n[Pipeline] node\nRunning on agent-1 in /var/lib/jenkins/workspace/mail\n"
            + "[Pipeline] {\n[Pipeline] stage\n[Pipeline] { (Send)\n[Pipeline] sh\n+ ./gradlew run\n> Task :compileJava UP-TO-DATE\n"
            + capture + (capture.hasSuffix("\n") ? "" : "\n")
            + "[Pipeline] }\n[Pipeline] // stage\n[Pipeline] }\n[Pipeline] End of Pipeline\nFinished: SUCCESS\n"
    }

    /// Every line indented (as in a Markdown code block or a quoted e-mail).
    static func indented(_ capture: String, by indent: String = "    ") -> String {
        lines(capture).map { indent + $0 }.joined(separator: "\n") + "\n"
    }

    /// Every line behind a logback-style prefix with a moving time stamp, with lines from another
    /// thread (another prefix) in between.
    static func logger(_ capture: String) -> String {
        var out = ""
        for (index, line) in lines(capture).enumerated() {
            let millis = String(format: "%03d", (index * 37) % 1000)
            let second = String(format: "%02d", (index / 7) % 60)
            if index % 5 == 2 {
                out += "2026-12-05 10:15:\(second).\(millis) WARN  [pool-2-thread-7] c.e.cache.Loader - cache miss for key \(index)\n"
            }
            out += "2026-12-05 10:15:\(second).\(millis) INFO  [main] com.example.Mailer - \(line)\n"
        }
        return out
    }

    /// Every line longer than `width` columns broken as a terminal does.
    static func wrapped(_ capture: String, width: Int = 80) -> String {
        var out = ""
        for line in lines(capture) {
            var rest = Substring(line)
            repeat {
                out += rest.prefix(width) + "\n"
                rest = rest.dropFirst(width)
            } while !rest.isEmpty
        }
        return out
    }

    static func lines(_ text: String) -> [String] {
        // On scalars: "\r\n" is one Character, and tools (curl, swaks) end some lines with it.
        var parts = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// Every way, each alone and all at once.
    static func variants(_ capture: String) -> [(String, String)] {
        [
            ("as captured", capture),
            ("in a build log", buildLog(capture)),
            ("indented", indented(capture)),
            ("behind a logger prefix", logger(capture)),
            ("wrapped at 80 columns", wrapped(capture)),
            ("all at once", buildLog(wrapped(logger(capture)))),
        ]
    }

    /// The conversation's shape: client verbs, reply codes (one per reply) and the TLS boundary.
    static func shape(_ transcript: Transcript) -> [String] {
        var shape: [String] = []
        var replyOpen = false
        for entry in transcript.entries {
            switch entry.kind {
            case .command(let text):
                replyOpen = false
                shape.append(TranscriptPattern(text).isSecret ? "{secret}" : String(text.prefix { $0 != " " && $0 != ":" }).uppercased())
            case .endOfData:
                replyOpen = false
                shape.append(".")
            case .server(let text):
                if !replyOpen { shape.append(String(text.prefix(3))) }
                replyOpen = text.count > 3 && Array(text.utf8)[3] == UInt8(ascii: "-")
            case .tls:
                shape.append("@tls")
            default:
                break
            }
        }
        return shape
    }
}
