import SMTPConversation
/// ImportBuilder writes the transcript while a format's reader finds the conversation in a
/// capture. The reader says what each line is (a client line, a server line, the TLS handshake,
/// an elision, a line that is not part of the conversation); the builder keeps the protocol state
/// every format needs the same way: message content between a 354 and the final dot, SASL
/// continuations after a 334, credentials turned into `{secret}`, `Date:`/`Message-ID:` and queue
/// ids turned into patterns, the greeting assumed when the capture has none.
struct ImportBuilder {
    /// The transcript so far, in its file format (one line each).
    private(set) var lines: [String] = []
    /// Lines of the capture that were not part of the conversation.
    private(set) var skipped = 0
    /// Those lines with their numbers (credentials redacted), when asked for.
    private(set) var skippedLines: [(line: Int, text: String)] = []
    /// Parts the capture left out (`...`, `<snip>`).
    private(set) var elided = 0
    /// Conversations after the first (the first one is converted).
    private(set) var laterConversations = 0
    /// What the builder assumed, each said in the transcript too.
    private(set) var assumptions: [String] = []
    /// A few of the lines skipped, to say what the capture holds when no SMTP is found.
    private(set) var sample: [String] = []
    let keepSkipped: Bool

    private(set) var sawClient = false
    private(set) var sawServer = false
    private var sawTLS = false
    private var firstIsClient: Bool?
    private var finished = false
    /// DATA (or BDAT-less DATA) sent; a 354 opens the content.
    private var awaitingData = false
    /// Client lines are message content until the dot.
    private(set) var inContent = false
    private var inHeaders = false
    private var inSASL = false
    /// The last reply was a final 334: the next client line answers a SASL challenge.
    private(set) var expectsContinuation = false
    /// A client command was sent and its reply has not come yet.
    private(set) var awaitingReply = false
    /// The last server line was `ddd-…`: the reply goes on.
    private(set) var replyContinues = false
    private var afterEndOfData = false
    private var afterStartTLS = false
    /// Client commands whose replies have not come yet (several with PIPELINING).
    private var outstanding = 0

    init(keepSkipped: Bool) {
        self.keepSkipped = keepSkipped
    }

    /// True while the first conversation is still being written.
    var isOpen: Bool { !finished }

    /// True once some protocol line was written.
    var hasStarted: Bool { sawClient || sawServer }

    /// A line the client sent (a command, a SASL answer or a line of message content).
    mutating func client(_ text: String, line: Int) {
        guard !finished else { return }
        if firstIsClient == nil { firstIsClient = true }
        sawClient = true
        if inContent {
            if text == "." {
                inContent = false
                afterEndOfData = true
                awaitingReply = true
                lines.append("> .")
                return
            }
            if text.isEmpty { inHeaders = false }
            let escaped = inHeaders ? TranscriptRecorder.generalized(text) : TranscriptRecorder.escaped(text)
            lines.append(escaped.isEmpty ? ">" : "> " + escaped)
            return
        }
        awaitingReply = true
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        let verb = words.first.map { $0.uppercased() } ?? ""
        if verb == "AUTH" {
            inSASL = true
            expectsContinuation = false
            let shown = words.count > 2 ? "\(words[0]) \(words[1]) \(Command.secretPlaceholder)" : TranscriptRecorder.escaped(text)
            lines.append("> " + shown)
            return
        }
        if inSASL && expectsContinuation {
            expectsContinuation = false
            lines.append("> " + Command.secretPlaceholder)
            return
        }
        outstanding += 1
        if verb == "DATA" { awaitingData = true }
        afterStartTLS = verb == "STARTTLS"
        var shown = TranscriptRecorder.escaped(CredentialScrubber.scrubbed(text))
        if verb == "MAIL" { shown = Self.generalizedSize(shown) }
        lines.append(shown.isEmpty ? ">" : "> " + shown)
    }

    /// A client command written as a pattern (for a line the capture does not show).
    mutating func clientPattern(_ pattern: String) {
        guard !finished else { return }
        if firstIsClient == nil { firstIsClient = true }
        sawClient = true
        awaitingReply = true
        lines.append("> " + pattern)
    }

    /// A line the server sent.
    mutating func server(_ text: String, line: Int) {
        guard !finished else { return }
        if firstIsClient == nil { firstIsClient = false }
        if inContent {
            // A reply inside the content: the capture left the rest of the message and its dot out.
            elided += 1
            lines.append("(the rest of the message content is not in the capture)")
            lines.append("> .")
            inContent = false
            afterEndOfData = true
        }
        sawServer = true
        let bytes = Array(text.utf8)
        let continues = bytes.count > 3 && bytes[3] == UInt8(ascii: "-")
        let code = String(decoding: bytes.prefix(3), as: UTF8.self)
        var shown = TranscriptRecorder.escaped(text)
        if afterEndOfData && code.hasPrefix("2") { shown = Self.generalizedQueueID(shown) }
        lines.append("< " + shown)
        replyContinues = continues
        guard !continues else { return }
        awaitingReply = false
        afterEndOfData = false
        expectsContinuation = code == "334"
        if code != "334" { inSASL = false }
        if afterStartTLS {
            afterStartTLS = false
            // The handshake follows a 220 to STARTTLS, whether or not the capture shows it.
            if code == "220" && !sawTLS {
                sawTLS = true
                lines.append("@tls")
            }
        }
        outstanding = max(outstanding - 1, 0)
        // With PIPELINING, DATA's reply is the last of the group's replies.
        if awaitingData && outstanding == 0 {
            awaitingData = false
            if code == "354" {
                inContent = true
                inHeaders = true
            }
        }
    }

    /// The TLS handshake (STARTTLS's, or implicit TLS before the greeting).
    mutating func tls(line: Int) {
        guard !finished, !sawTLS else { return }
        sawTLS = true
        lines.append("@tls")
    }

    /// True once a TLS boundary was written.
    var hasTLS: Bool { sawTLS }

    /// A remark kept in the transcript (credentials redacted).
    mutating func annotation(_ text: String) {
        guard !finished else { return }
        lines.append("(" + CredentialScrubber.scrubbed(text) + ")")
    }

    /// A part the capture left out.
    mutating func elision(_ text: String, line: Int) {
        guard !finished else { return }
        elided += 1
        lines.append("(elided in the capture at line \(line): \(CredentialScrubber.scrubbed(text.trimmingCharacters(in: " \t"))))")
    }

    /// Something the builder had to assume, said in the transcript.
    mutating func assume(_ text: String) {
        guard !finished else { return }
        assumptions.append(text)
        lines.append("(" + text + ")")
    }

    /// A line that is not part of the conversation.
    mutating func skip(_ bytes: ArraySlice<UInt8>, line: Int) {
        if bytes.trimmingLeadingBlanks.isEmpty { return }
        skipped += 1
        if keepSkipped {
            // A lone base64 run may be the rest of a wrapped SASL response: never listed.
            let text = Self.isBase64Run(bytes) ? Command.secretPlaceholder : CredentialScrubber.scrubbed(bytes.text)
            skippedLines.append((line, text))
        }
        if sample.count < 40 { sample.append(bytes.text) }
    }

    /// A new connection starts: after the first conversation, later ones are only counted.
    mutating func connection() {
        if hasStarted {
            if !finished { finished = true }
            laterConversations += 1
        }
    }

    /// The transcript lines with the assumed greeting in front when the capture has none.
    func finalLines() -> [String] {
        guard firstIsClient == true else { return lines }
        var result = lines
        let first = result.firstIndex { $0.hasPrefix(">") } ?? 0
        let insertAt = result[..<first].lastIndex(of: "@tls").map { $0 + 1 } ?? first
        result.insert(contentsOf: ["(no greeting in the capture; 220 assumed)", "< 220 localhost ESMTP"], at: insertAt)
        return result
    }

    /// True when the line (trimmed) is one run of 16 or more base64 characters.
    static func isBase64Run(_ bytes: ArraySlice<UInt8>) -> Bool {
        let trimmed = bytes.trimmingLeadingBlanks.trimmingTrailingBlanks
        guard trimmed.count >= 16 else { return false }
        return trimmed.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 47 || $0 == 61 }
    }

    /// True when the greeting was assumed.
    var assumedGreeting: Bool { firstIsClient == true }

    /// A MAIL command with its `SIZE=` parameter as a pattern: the size changes with the date and
    /// message id in the content.
    static func generalizedSize(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            word.lowercased().hasPrefix("size=") && word.count > 5 && word.dropFirst(5).allSatisfy(\.isNumber)
                ? word.prefix(5) + "{any}" : String(word)
        }.joined(separator: " ")
    }

    /// A reply to the end of data with its queue id as a pattern: `queued as {any}`, `id={any}`,
    /// `<…>` message ids, and tokens mixing letters and digits.
    static func generalizedQueueID(_ text: String) -> String {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.count > 1 else { return text }
        for index in 1..<words.count {
            let word = words[index]
            let lower = word.lowercased()
            if lower.hasPrefix("id=") && word.count > 3 {
                words[index] = String(word.prefix(3)) + "{any}"
            } else if word.hasPrefix("<") && word.hasSuffix(">") && word.contains("@") {
                words[index] = "<{any}>"
            } else if word.hasPrefix("[") && word.contains("=") {
                words[index] = "[{any}]"
            } else if index >= 2, ["as", "id"].contains(words[index - 1].lowercased()), !word.isEmpty {
                words[index] = "{any}"
            } else if word.count >= 6, word.contains(where: \.isNumber), word.contains(where: \.isLetter), !word.contains("."), !word.contains(":") {
                words[index] = "{any}"
            } else if word.count >= 6, word.allSatisfy(\.isNumber) {
                words[index] = "{any}"
            }
        }
        return words.joined(separator: " ")
    }
}
