import SMTPConversation
/// ClientServerReader reads `C:` / `S:` exchanges, as RFC 5321 and RFC 4954 write their examples
/// and MailKit's `ProtocolLogger` and Microsoft's documentation print them, with or without
/// indentation. Text between the lines (an RFC's prose, page breaks) is skipped.
struct ClientServerReader: CaptureReader {
    private var prefix = LinePrefix()

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        let trimmed = line.trimmingLeadingBlanks
        return (trimmed.starts(with: "C: ") || trimmed.starts(with: "S: ")) && trimmed.count > 3 ? 1 : 0
    }

    init() {}

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        if !prefix.isLearnt {
            let trimmed = line.bytes.trimmingLeadingBlanks
            guard trimmed.starts(with: "S: ") || trimmed.starts(with: "C: ") else {
                builder.skip(line.bytes, line: line.number)
                return
            }
            prefix.learn(line.bytes, markerAt: line.bytes.count - trimmed.count)
        }
        // RFC text is often re-indented between pages: accept any indentation once learnt.
        let rest = (prefix.strip(line.bytes) ?? line.bytes).trimmingLeadingBlanks
        if rest.starts(with: "S:") {
            let text = rest.dropFirst(2).trimmingLeadingBlanks.trimmingTrailingBlanks
            if text.isReplyLine {
                builder.server(text.text, line: line.number)
            } else if CaptureSyntax.isElision(text) {
                builder.elision(text.text, line: line.number)
            } else {
                builder.skip(line.bytes, line: line.number)
            }
        } else if rest.starts(with: "C:") {
            var text = rest.dropFirst(2)
            if text.first == 32 { text = text.dropFirst() }
            if !builder.inContent, CaptureSyntax.isElision(text) {
                builder.elision(text.text, line: line.number)
            } else {
                builder.client(builder.inContent ? text.text : text.trimmingTrailingBlanks.text, line: line.number)
            }
        } else {
            builder.skip(line.bytes, line: line.number)
        }
    }
}
