import SMTPConversation
/// CaptureImport converts a capture fed a chunk at a time, so a large log is read in bounded
/// memory: the first lines (a window of up to 4,000 lines or 1 MB) decide the format (unless one
/// is given) and whether the lines were wrapped at a fixed width, then every line goes to the
/// format's reader and is dropped.
public struct CaptureImport {
    static let windowLines = 4000
    static let windowBytes = 1 << 20

    private let forced: TranscriptImporter.Format?
    private let name: String
    private var decoder = CaptureDecoder()
    private var window: [[UInt8]] = []
    private var windowSize = 0
    private var decided = false
    private var format: TranscriptImporter.Format = .javamail
    private var reader: any CaptureReader = JavaMailReader()
    private var builder: ImportBuilder
    private var lineNumber = 0
    private var wrapWidth: Int?
    private var wrapped: [UInt8] = []
    private var wrappedStart = 0

    /// Creates an import; `format` nil detects it from the first lines.
    public init(format: TranscriptImporter.Format?, name: String, keepSkipped: Bool = false) {
        self.forced = format
        self.name = name
        self.builder = ImportBuilder(keepSkipped: keepSkipped)
    }

    /// Reads the next chunk of the capture.
    public mutating func feed(_ chunk: [UInt8]) {
        var decoder = self.decoder
        decoder.feed(chunk) { take($0) }
        self.decoder = decoder
    }

    private mutating func take(_ line: ArraySlice<UInt8>) {
        lineNumber += 1
        if decided {
            unwrap(line, number: lineNumber)
            return
        }
        window.append(Array(line))
        windowSize += line.count
        if window.count >= Self.windowLines || windowSize >= Self.windowBytes { decide() }
    }

    private mutating func decide() {
        decided = true
        wrapWidth = Self.wrapWidth(window)
        // Join the window's wrapped lines first: a marker may have been cut in two.
        collecting = true
        let lines = window
        window = []
        for (index, line) in lines.enumerated() { unwrap(line[...], number: index + 1) }
        collecting = false
        if let forced {
            format = forced
        } else {
            var best: (TranscriptImporter.Format, Int)?
            for candidate in TranscriptImporter.Format.allCases {
                let type = candidate.reader
                let score = collected.reduce(0) { $0 + type.evidence($1.bytes[...]) }
                if score > 0 && score > (best?.1 ?? 0) { best = (candidate, score) }
            }
            format = best?.0 ?? .openssl
            detectedNothing = best == nil
        }
        reader = format.reader.init()
        let joined = collected
        collected = []
        for line in joined { emit(line.bytes[...], number: line.number) }
    }

    private var collecting = false
    private var collected: [(bytes: [UInt8], number: Int)] = []

    private mutating func emit(_ line: ArraySlice<UInt8>, number: Int) {
        if collecting {
            collected.append((Array(line), number))
        } else if builder.isOpen {
            reader.read(CaptureLine(bytes: line, number: number), into: &builder)
        } else {
            // The conversation is converted: later lines are only searched for another connection.
            linesAfter += 1
            if type(of: reader).startsConversation(line) { builder.connection() }
        }
    }

    private var linesAfter = 0

    private var detectedNothing = false

    /// Joins lines a terminal or a pager wrapped at `wrapWidth` columns.
    private mutating func unwrap(_ line: ArraySlice<UInt8>, number: Int) {
        guard let width = wrapWidth else {
            emit(line, number: number)
            return
        }
        let full = line.count >= width && Self.columns(line) == width
        if !wrapped.isEmpty {
            if line.isEmpty || Self.startsAlike(wrapped, line) {
                // Not a continuation: a new record that happens to follow a line of exactly the width.
                let whole = wrapped
                wrapped = []
                emit(whole[...], number: wrappedStart)
                unwrap(line, number: number)
                return
            }
            wrapped += line
            if full { return }
            let joined = wrapped
            wrapped = []
            emit(joined[...], number: wrappedStart)
            return
        }
        if full {
            wrapped = Array(line)
            wrappedStart = number
            return
        }
        emit(line, number: number)
    }

    /// True when two lines begin alike (the first 12 characters, digits standing for any digit, or
    /// both a reply line): records of one log do, a wrapped line's remainder rarely does.
    static func startsAlike(_ first: [UInt8], _ next: ArraySlice<UInt8>) -> Bool {
        if first[...].isReplyLine && next.isReplyLine { return true }
        let count = min(12, first.count, next.count)
        guard count >= 3 else { return false }
        return (0..<count).allSatisfy { LinePrefix.masked(first[$0]) == LinePrefix.masked(next[next.startIndex + $0]) }
    }

    static func columns(_ line: ArraySlice<UInt8>) -> Int {
        var count = 0
        for byte in line where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// The width the window's lines were wrapped at: several lines exactly as long as the longest,
    /// clearly more than just shorter, most of them followed by a line that does not begin like
    /// them (a remainder rather than the next record).
    static func wrapWidth(_ lines: [[UInt8]]) -> Int? {
        var counts: [Int: Int] = [:]
        var longest = 0
        for line in lines where line.count >= 40 {
            let width = columns(line[...])
            counts[width, default: 0] += 1
            longest = max(longest, width)
        }
        guard longest >= 60, longest <= 400, let atWidth = counts[longest], atWidth >= 3 else { return nil }
        let near = max(counts[longest - 1] ?? 0, counts[longest - 2] ?? 0, 1)
        guard atWidth >= 2 * near else { return nil }
        var continued = 0
        for (index, line) in lines.enumerated() where index + 1 < lines.count && line.count >= longest && columns(line[...]) == longest {
            let next = lines[index + 1]
            if !next.isEmpty && !startsAlike(line, next[...]) { continued += 1 }
        }
        return continued >= 3 && continued * 4 >= atWidth * 3 ? longest : nil
    }

    /// Ends the capture and returns the transcript.
    /// - Throws: `TranscriptError` when no SMTP conversation was found, naming what the capture holds.
    public mutating func finish() throws(TranscriptError) -> TranscriptImporter.Result {
        var decoder = self.decoder
        decoder.finish { take($0) }
        self.decoder = decoder
        if !decided { decide() }
        if !wrapped.isEmpty {
            let joined = wrapped
            wrapped = []
            reader.read(CaptureLine(bytes: joined[...], number: wrappedStart), into: &builder)
        }
        reader.finish(into: &builder)
        let chosen = forced == nil ? (detectedNothing ? "no known format recognised" : "read as \(format.rawValue) output")
            : "read as \(format.rawValue) output"
        guard builder.sawServer else {
            throw TranscriptError(
                file: name, line: 1,
                message: "no SMTP reply found (\(chosen)): \(CaptureGuess.describe(builder.sample, lines: lineNumber))")
        }
        guard builder.sawClient else {
            throw TranscriptError(
                file: name, line: 1,
                message: "no client line found (\(chosen)), only server replies: is this \(format.rawValue) output?")
        }
        var lines: [String] = []
        if builder.skipped > 0 { lines.append("(\(builder.skipped) non-SMTP lines skipped)") }
        if builder.laterConversations > 0 {
            lines.append("(\(builder.laterConversations) later conversations in the capture not converted: \(linesAfter) lines after this one)")
        }
        lines += builder.finalLines()
        var transcript = try Transcript(parsing: lines.joined(separator: "\n") + "\n", name: name)
        transcript.name = name
        return TranscriptImporter.Result(
            transcript: transcript, format: format, detected: forced == nil, skipped: builder.skipped,
            skippedLines: builder.skippedLines.map { TranscriptImporter.SkippedLine(line: $0.line, text: $0.text) },
            elided: builder.elided, assumedGreeting: builder.assumedGreeting,
            laterConversations: builder.laterConversations, linesAfter: linesAfter, encoding: decoder.encoding.rawValue, wrapWidth: wrapWidth)
    }
}
