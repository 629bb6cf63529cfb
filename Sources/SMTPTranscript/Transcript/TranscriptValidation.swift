import SMTPConversation
extension Transcript {
    /// The annotation that lets a transcript start with a client line: it is served after a
    /// made-up 220 greeting.
    public static let fragmentAnnotation = "fragment"

    /// True when the transcript says it is a fragment (`(fragment)`): it starts with a client
    /// line and is served after a made-up greeting.
    public var isFragment: Bool {
        entries.contains { $0.kind == .annotation(Self.fragmentAnnotation) || $0.kind == .annotation(Self.fragmentAnnotation + ":") }
    }

    /// Checks that the transcript can be played, before any socket is opened.
    ///
    /// Every server line must be a well-formed reply (three digits from 200 to 599, then a space,
    /// a hyphen or nothing; the lines of one reply share their code; a reply ends before the next
    /// client line), the transcript must hold at least one exchange, and one that starts with a
    /// client line must say `(fragment)`. A transcript that expects its client to fail
    /// (`@expect error=…`) plays a misbehaving server on purpose: its replies are not checked.
    /// - Throws: `TranscriptError` naming the line, with a hint when the file is something else
    ///   (a capture to convert, a PL/SQL program, prose).
    public func validate() throws(TranscriptError) {
        let misbehaves = expectations["error"] != nil
        var open: (code: Substring, line: Int)?
        var sawServer = false
        var sawClient = false
        var firstProtocol: Entry?
        for entry in entries {
            switch entry.kind {
            case .server(let text):
                if firstProtocol == nil { firstProtocol = entry }
                sawServer = true
                guard !misbehaves else { continue }
                guard let code = Self.replyCode(text) else {
                    throw TranscriptError(file: name, line: entry.line, message: notAReply(text))
                }
                if let open, open.code != code.code {
                    throw TranscriptError(
                        file: name, line: entry.line,
                        message: "reply code \(code.code) in a reply that began with \(open.code) at line \(open.line): every line of a reply carries the same code")
                }
                open = code.continues ? (open ?? (code.code, entry.line)) : nil
            case .command, .content, .endOfData:
                if firstProtocol == nil { firstProtocol = entry }
                sawClient = true
                if let open, !misbehaves {
                    throw TranscriptError(
                        file: name, line: entry.line,
                        message: "a client line inside the reply that began at line \(open.line): its last line must be \"\(open.code) …\", not \"\(open.code)-…\"")
                }
            case .tls, .close, .hang:
                if let open, !misbehaves, entry.kind != .close {
                    throw TranscriptError(file: name, line: entry.line, message: "the reply that began at line \(open.line) does not end")
                }
            case .annotation:
                continue
            }
        }
        guard sawServer || sawClient else {
            throw TranscriptError(file: name, line: 1, message: "no exchange: the transcript has no server line and no client line")
        }
        if !sawClient, !entries.contains(where: { $0.kind == .close || $0.kind == .hang }) {
            throw TranscriptError(
                file: name, line: max(entries.first { if case .server = $0.kind { return true }; return false }?.line ?? 1, 1),
                message: "no exchange: the transcript has no client line (a server that only greets ends with @close or @hang)")
        }
        if let first = firstProtocol, !isFragment {
            switch first.kind {
            case .command, .content, .endOfData:
                throw TranscriptError(
                    file: name, line: first.line,
                    message: "the transcript starts with a client line and has no greeting: write (fragment) before it to serve it after a made-up 220 greeting")
            default: break
            }
        }
    }

    /// The code of a server line and whether the reply goes on, or nil when it is no reply.
    static func replyCode(_ text: String) -> (code: Substring, continues: Bool)? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0] >= 50 && bytes[0] <= 53, bytes[1] >= 48 && bytes[1] <= 57, bytes[2] >= 48 && bytes[2] <= 57
        else { return nil }
        guard bytes.count == 3 || bytes[3] == 32 || bytes[3] == 45 else { return nil }
        return (text.prefix(3), bytes.count > 3 && bytes[3] == 45)
    }

    private func notAReply(_ text: String) -> String {
        let shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
        var message = "\"\(shown)\" is not a reply (three digits, 200 to 599, then a space or a hyphen)"
        let bytes = Array(text.utf8)[...]
        if TranscriptImporter.Format.allCases.contains(where: { $0.reader.evidence(bytes) > 0 }) {
            message += "; is this a capture? smtp-repl convert FILE turns it into a transcript"
        } else {
            message += ": " + CaptureGuess.hint(text)
        }
        return message
    }
}
