import SMTPConversation
/// TranscriptSession plays the server side of a transcript to one client connection.
struct TranscriptSession {
    let transcript: Transcript
    let steps: [TranscriptStep]
    let matcher: TranscriptMatcher
    let tlsContext: TLSContext?
    let readTimeout: Double?
    let socket: Socket
    private var stream: any ByteStream
    private var reader: LineReader
    private var received: [String] = []
    /// The conversation as it happened, for `serve --record`.
    private var recorded: [Transcript.Entry] = []
    /// Message content recorded so far in this session (bytes), against `maxRecordedContent`.
    private var recordedContent = 0
    /// Content lines and bytes left out of the recording since the cap was reached.
    private var omitted = (lines: 0, bytes: 0)
    private var secretFollows = false

    init(transcript: Transcript, mode: MatchMode, tlsContext: TLSContext?, readTimeout: Double?, socket: Socket) {
        self.transcript = transcript
        self.steps = transcript.steps()
        self.matcher = TranscriptMatcher(mode: mode)
        self.tlsContext = tlsContext
        self.readTimeout = readTimeout
        self.socket = socket
        self.stream = socket
        self.reader = LineReader(stream: socket)
    }

    mutating func play() -> ServeOutcome {
        var outcome = ServeOutcome(client: socket.remoteAddress, received: [])
        do throws(SMTPError) {
            outcome.deviation = try run()
        } catch {
            outcome.error = error.description
        }
        outcome.received = received
        noteOmittedContent()
        outcome.transcript = Transcript(entries: recorded, name: transcript.name)
        stream.close()
        return outcome
    }

    private mutating func run() throws(SMTPError) -> Deviation? {
        var index = 0
        while index < steps.count {
            let step = steps[index]
            switch step.kind {
            case .greeting:
                try send(step.reply)
            case .tls:
                let early = reader.takeBuffered()
                if !early.isEmpty {
                    return deviation(step, actual: nil, reason: "the client sent \(early.count) bytes before the TLS handshake")
                }
                guard let tlsContext else {
                    throw SMTPError(.tls("the transcript needs TLS here; give the server a certificate and key"))
                }
                if index == 0, let found = try plaintextClient(step) { return found }
                let tls = try TLSStream.accept(socket: socket, context: tlsContext, deadline: Deadline(seconds: readTimeout))
                stream = tls
                reader.stream = tls
                recorded.append(Transcript.Entry(.tls))
            case .close:
                return nil
            case .hang:
                while try reader.readLine(deadline: Deadline(seconds: readTimeout)) != nil {}
                return nil
            case .exchange(let entry):
                let next: (text: [UInt8], crlf: Bool)?
                do { next = try reader.readLine(deadline: Deadline(seconds: readTimeout)) } catch {
                    guard error.code == .timeout else { throw error }
                    return deviation(step, actual: nil, reason: "the client sent nothing within \(Self.seconds(readTimeout)) after \(Self.previous(steps, before: index))")
                }
                guard let (bytes, crlf) = next else {
                    return deviation(step, actual: nil, reason: "the client closed the connection")
                }
                let actual = String(decoding: bytes, as: UTF8.self)
                let shown = redacted(actual, expected: entry)
                received.append(shown)
                record(shown, as: entry)
                if matcher.mode == .strict && !crlf {
                    return try refuse(step, actual: shown, reason: "the client ended the line with a bare LF, not CRLF (--strict compares line ends)")
                }
                switch entry.kind {
                case .command(let expected):
                    guard matcher.commandMatches(expected: expected, actual: actual) else {
                        return try refuse(step, actual: shown, reason: whyDifferent(actual, at: index))
                    }
                    // The next line is a credential only while the server asks for one (334).
                    secretFollows = (Self.startsSASL(expected) || secretFollows) && Self.asksForMore(step.reply)
                case .content(let expected):
                    if matcher.mode == .meaning {
                        // Content is not compared by meaning. Go on at the transcript's end of
                        // data, or stop where the transcript closes or hangs inside the content.
                        let next = steps[index...].firstIndex { candidate in
                            switch candidate.kind {
                            case .close, .hang: return true
                            case .exchange(let other): return other.kind == .endOfData
                            default: return false
                            }
                        }
                        guard let next else {
                            return try refuse(step, actual: shown, reason: "the transcript's message content does not end (no \"> .\" after it)")
                        }
                        if case .exchange = steps[next].kind {
                            if let closed = try readContent(after: actual, step) { return closed }
                            try send(steps[next].reply)
                            index = next + 1
                        } else {
                            index = next
                        }
                        continue
                    }
                    guard matcher.contentMatches(expected: expected, actual: actual) else {
                        let end = steps[index...].first { if case .exchange(let other) = $0.kind { return other.kind == .endOfData }; return false }
                        let reason = actual == "."
                            ? "a missing line: the message ended here, the transcript's content goes on to line \(end.map(Self.line) ?? 0)"
                            : "different message content"
                        return try refuse(step, actual: shown, reason: reason)
                    }
                case .endOfData:
                    if actual != "." && matcher.mode == .meaning {
                        // The transcript shows no content (a capture that left it out): content is
                        // not compared by meaning, so read it through to its end.
                        if let closed = try readContent(after: actual, step) { return closed }
                    } else if actual != "." {
                        return try refuse(step, actual: shown, reason: "an extra line: the transcript's message content ended at the line before")
                    }
                default:
                    break
                }
                try send(step.reply)
            }
            index += 1
        }
        return nil
    }

    /// Reads and records the client's message content through its final dot, `first` being the
    /// line already read; a deviation when the client closes the connection before the dot.
    private mutating func readContent(after first: String, _ step: TranscriptStep) throws(SMTPError) -> Deviation? {
        var line = first
        while line != "." {
            guard let (more, _) = try reader.readLine(deadline: Deadline(seconds: readTimeout)) else {
                return deviation(step, actual: nil, reason: "the client closed the connection in the message content")
            }
            line = String(decoding: more, as: UTF8.self)
            record(line, as: Transcript.Entry(.content(line)))
        }
        return nil
    }

    /// Why a command did not match: a line the client skipped (it sent a later one), a line it
    /// sent again, or a different command.
    private func whyDifferent(_ actual: String, at index: Int) -> String {
        var ahead = 0
        for later in steps[(index + 1)...] {
            guard case .exchange(let entry) = later.kind, case .command(let text) = entry.kind else { continue }
            // A credential line matches whatever the client sends: it says nothing about a skip.
            if text == Command.secretPlaceholder { continue }
            ahead += 1
            if ahead > 4 { break }
            if matcher.commandMatches(expected: text, actual: actual) {
                return "a missing line: the client skipped to line \(entry.line)"
            }
        }
        for earlier in steps[..<index].reversed() {
            guard case .exchange(let entry) = earlier.kind, case .command(let text) = entry.kind else { continue }
            if matcher.commandMatches(expected: text, actual: actual) { return "an extra line: the client sent line \(entry.line)'s command again" }
            break
        }
        return "a different command"
    }

    /// Where the client was when it went silent: "the greeting", "the reply to line 12".
    private static func previous(_ steps: [TranscriptStep], before index: Int) -> String {
        for step in steps[..<index].reversed() {
            switch step.kind {
            case .greeting: return "the greeting"
            case .tls: return "the TLS handshake"
            case .exchange(let entry): return "the reply to line \(entry.line)"
            default: continue
            }
        }
        return "connecting"
    }

    static func seconds(_ value: Double?) -> String { value.map(formatSeconds) ?? "forever" }

    /// A client that speaks plaintext (or waits for a greeting) where the transcript starts with
    /// TLS: implicit TLS (port 465) needs a client that starts the handshake at once.
    private func plaintextClient(_ step: TranscriptStep) throws(SMTPError) -> Deviation? {
        let first: [UInt8]
        do { first = try socket.peek(max: 64, deadline: Deadline(seconds: readTimeout)) } catch {
            guard error.code == .timeout else { throw error }
            return deviation(step, actual: nil, reason: "the client sent nothing within \(Self.seconds(readTimeout)) and did not start TLS; this transcript starts with TLS (implicit TLS): the client waited for a plaintext greeting")
        }
        // A TLS handshake starts with a handshake record (0x16).
        guard let byte = first.first, byte != 0x16 else { return nil }
        let text = CredentialScrubber.scrubbed(String(decoding: first.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self))
        return deviation(step, actual: text, reason: "the client spoke plaintext; this transcript starts with TLS (implicit TLS)")
    }

    private static func line(of step: TranscriptStep) -> Int {
        if case .exchange(let entry) = step.kind { return entry.line }
        return 0
    }

    private static func asksForMore(_ reply: [Transcript.Entry]) -> Bool {
        guard case .server(let text) = reply.last?.kind else { return false }
        return text.hasPrefix("334")
    }

    private static func startsSASL(_ command: String) -> Bool {
        TranscriptMatcher.verb(command) == "AUTH"
    }

    private mutating func redacted(_ actual: String, expected: Transcript.Entry) -> String {
        if TranscriptMatcher.verb(actual) == "AUTH" {
            let words = actual.split(separator: " ")
            return words.count > 2 ? "AUTH \(words[1]) \(Command.secretPlaceholder)" : actual
        }
        if case .command(let text) = expected.kind, TranscriptPattern(text).isSecret {
            return Command.secretPlaceholder
        }
        if secretFollows, case .command = expected.kind {
            return Command.secretPlaceholder
        }
        return actual
    }

    private mutating func record(_ line: String, as expected: Transcript.Entry) {
        let text = line == Command.secretPlaceholder ? line : TranscriptRecorder.escaped(line)
            .replacingOccurrences(of: TranscriptRecorder.escaped(Command.secretPlaceholder), with: Command.secretPlaceholder)
        switch expected.kind {
        case .content, .endOfData:
            if line == "." {
                noteOmittedContent()
                recorded.append(Transcript.Entry(.endOfData))
            } else if recordedContent + line.utf8.count > TranscriptServer.maxRecordedContent {
                // A client may send a message of any size: the session keeps its memory bounded
                // by recording only the first part of the content.
                omitted.lines += 1
                omitted.bytes += line.utf8.count
            } else {
                recordedContent += line.utf8.count
                recorded.append(Transcript.Entry(.content(text)))
            }
        default: recorded.append(Transcript.Entry(.command(text)))
        }
    }

    /// Says in the recording how much content was left out, once per message.
    private mutating func noteOmittedContent() {
        guard omitted.lines > 0 else { return }
        recorded.append(Transcript.Entry(.annotation(
            "\(omitted.lines) content lines (\(omitted.bytes) bytes) not recorded: a session records at most "
                + "\(TranscriptServer.maxRecordedContent / 1024) KiB of message content")))
        omitted = (0, 0)
    }

    private mutating func send(_ lines: [Transcript.Entry]) throws(SMTPError) {
        guard !lines.isEmpty else { return }
        var bytes: [UInt8] = []
        for entry in lines {
            guard case .server(let text) = entry.kind else { continue }
            let filled = TranscriptPattern(text).filled()
            recorded.append(Transcript.Entry(.server(TranscriptRecorder.escaped(filled))))
            bytes += Array(filled.utf8) + [13, 10]
        }
        try stream.write(bytes, deadline: Deadline(seconds: readTimeout))
    }

    private func deviation(_ step: TranscriptStep, actual: String?, reason: String) -> Deviation {
        var expected = ""
        var line = 0
        switch step.kind {
        case .exchange(let entry):
            line = entry.line
            expected = Transcript(entries: [entry]).render().trimmingNewline()
        case .tls: expected = "@tls"
        case .close: expected = "@close"
        case .hang: expected = "@hang"
        case .greeting: expected = "(greeting)"
        }
        return Deviation(transcript: transcript.name, line: line, expected: expected, actual: actual, reason: reason)
    }

    /// Reports a deviation to the client as a 503 before closing, so a person sees why.
    private mutating func refuse(_ step: TranscriptStep, actual: String, reason: String) throws(SMTPError) -> Deviation {
        let found = deviation(step, actual: actual, reason: reason)
        let text = "503 5.5.1 transcript \(transcript.name) line \(found.line) expected \"\(found.expected)\"\r\n"
        try? stream.write(Array(text.utf8), deadline: Deadline(seconds: 1))
        return found
    }
}

extension String {
    func trimmingNewline() -> String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
