import SMTPConversation
/// CurlReader reads `curl -v` output for `smtp://` and `smtps://` URLs: `> ` client lines,
/// `< ` server lines, `* ` remarks (the TLS handshake among them), `} [5 bytes data]` transfer
/// notes. curl does not show the message it uploads: the content is said to be elided.
struct CurlReader: CaptureReader {
    private var prefix = LinePrefix()
    private var sawTLS = false

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        if line.offset(of: "* Connected to ") != nil || line.offset(of: "* SSL connection using") != nil { return 2 }
        if let offset = line.offset(of: "< "), line.dropFirst(offset + 2).isReplyLine { return 1 }
        return 0
    }

    init() {}

    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool { line.offset(of: "* Connected to ") != nil }

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        // The progress meter may share the first line: learn from "* Connected to" or "< 220".
        let learnt = prefix.strip(line.bytes) { bytes in
            bytes.offset(of: "* Connected to ") ?? bytes.offset(of: "< ").flatMap { bytes.dropFirst($0 + 2).isReplyLine ? $0 : nil }
        }
        guard let rest = learnt else {
            builder.skip(line.bytes, line: line.number)
            return
        }
        if rest.starts(with: "< ") {
            let text = rest.dropFirst(2)
            if text.isReplyLine {
                builder.server(text.text, line: line.number)
            } else {
                builder.skip(line.bytes, line: line.number)
            }
        } else if rest.starts(with: "> ") {
            builder.client(rest.dropFirst(2).text, line: line.number)
        } else if rest.starts(with: "* ") {
            let text = rest.dropFirst(2)
            if text.starts(with: "SSL connection using") {
                builder.tls(line: line.number)
            } else if text.starts(with: "Connected to ") {
                builder.connection()
            }
        } else if rest.starts(with: "} [") || rest.starts(with: "{ [") {
            return
        } else {
            builder.skip(line.bytes, line: line.number)
        }
    }
}
