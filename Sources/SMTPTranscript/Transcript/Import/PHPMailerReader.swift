import SMTPConversation
/// PHPMailerReader reads PHPMailer's `SMTPDebug` output: `CLIENT -> SERVER: …` and
/// `SERVER -> CLIENT: …` after a time stamp, a multi-line reply's further lines indented under
/// the first, credentials shown as `[credentials hidden]`; also its `Debugoutput = 'html'` form
/// (`<br>`, `&lt;`).
struct PHPMailerReader: CaptureReader {
    private var prefix = LinePrefix()
    private var inReply = false

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        line.offset(of: "CLIENT -> SERVER:") != nil || line.offset(of: "SERVER -> CLIENT:") != nil
            || line.offset(of: "CLIENT -&gt; SERVER:") != nil || line.offset(of: "SERVER -&gt; CLIENT:") != nil ? 3 : 0
    }

    init() {}

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        var bytes = line.bytes
        var html = false
        if bytes.offset(of: "&gt;") != nil || bytes.offset(of: "<br") != nil {
            bytes = Array(Self.unescapedHTML(bytes.text).utf8)[...]
            html = true
        }
        if !prefix.isLearnt {
            guard let offset = bytes.offset(of: "CLIENT -> SERVER:") ?? bytes.offset(of: "SERVER -> CLIENT:") else {
                builder.skip(line.bytes, line: line.number)
                return
            }
            prefix.learn(bytes, markerAt: offset)
        }
        if let rest = prefix.strip(bytes), rest.starts(with: "CLIENT -> SERVER:") || rest.starts(with: "SERVER -> CLIENT:") {
            let isClient = rest.starts(with: "CLIENT")
            var text = rest.dropFirst(17)
            if text.first == 32 { text = text.dropFirst() }
            if !html || !builder.inContent { text = text.trimmingTrailingBlanks }
            inReply = !isClient
            if isClient {
                builder.client(text.starts(with: "[credentials hidden]") ? "-" : text.text, line: line.number)
            } else if text.isReplyLine {
                builder.server(text.text, line: line.number)
            } else {
                builder.skip(line.bytes, line: line.number)
            }
            return
        }
        let unprefixed = prefix.strip(bytes) ?? prefix.stripLoosely(bytes) ?? bytes
        let continuation = unprefixed.trimmingLeadingBlanks.trimmingTrailingBlanks
        if inReply, unprefixed.first == 32 || unprefixed.first == 9, continuation.isReplyLine {
            builder.server(continuation.text, line: line.number)
            return
        }
        // Another logger's line between a reply's lines does not end the reply.
        if prefix.strip(bytes) != nil { inReply = false }
        builder.skip(line.bytes, line: line.number)
    }

    static func unescapedHTML(_ text: String) -> String {
        var result = text.replacingOccurrences(of: "<br>", with: "").replacingOccurrences(of: "<br />", with: "")
            .replacingOccurrences(of: "<br/>", with: "")
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#039;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
            result = result.replacingOccurrences(of: entity, with: character)
        }
        return result
    }
}
