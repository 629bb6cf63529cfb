import SMTPConversation
/// PostfixReader reads Postfix's `debug_peer_list` log lines, from syslog or `maillog_file`:
/// `postfix/smtp[123]: > mx.example.com[192.0.2.1]:25: EHLO client` and
/// `… < mx.example.com[192.0.2.1]:25: 250-…` (the client's view), or `postfix/smtpd[…]` (the
/// server's view, arrows reversed). A line is the server's when it is a reply; the arrows only
/// find the protocol text. Postfix does not log message content: it is said to be elided. Its
/// smtp client does not wait for the reply to QUIT (`smtp_skip_quit_response`, on by default), so
/// a conversation that ends with QUIT gets an assumed 221, said in the transcript.
struct PostfixReader: CaptureReader {
    private var process: [UInt8]?
    /// The last protocol line written was the client's QUIT.
    private var quitUnanswered = false

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        guard line.offset(of: "postfix") != nil, let offset = Self.protocolText(line) else { return 0 }
        return offset.isEmpty ? 0 : 3
    }

    init() {}

    /// The protocol text after `]: > host[addr]:port: ` or `]: < host[addr]: `, or nil.
    static func protocolText(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let arrow = line.offset(of: "]: > ") ?? line.offset(of: "]: < ") else { return nil }
        let afterArrow = line.dropFirst(arrow + 5)
        // host[addr]:port: or host[addr]:
        guard let close = afterArrow.firstIndex(of: UInt8(ascii: "]")) else { return nil }
        var rest = afterArrow[(close + 1)...]
        if rest.first == UInt8(ascii: ":") {
            rest = rest.dropFirst()
            let port = rest.prefix { $0 >= 48 && $0 <= 57 }
            if !port.isEmpty, rest.dropFirst(port.count).first == UInt8(ascii: ":") { rest = rest.dropFirst(port.count + 1) }
        }
        return rest.first == 32 ? rest.dropFirst() : rest
    }

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        guard let text = Self.protocolText(line.bytes), let bracket = line.bytes.offset(of: "]: ") else {
            if line.bytes.offset(of: "postfix/smtp") != nil, line.bytes.offset(of: ": connect to ") != nil || line.bytes.offset(of: "Connected to ") != nil {
                if builder.hasStarted {
                    answerQuit(into: &builder)
                    builder.connection()
                }
            }
            builder.skip(line.bytes, line: line.number)
            return
        }
        // One process's conversation: its name and pid (postfix/smtp[1234]).
        let start = line.bytes[..<(line.bytes.startIndex + bracket + 1)].lastIndex(of: 32).map { $0 + 1 } ?? line.bytes.startIndex
        let name = Array(line.bytes[start..<(line.bytes.startIndex + bracket + 1)])
        if process == nil { process = name }
        guard process == name else {
            builder.skip(line.bytes, line: line.number)
            return
        }
        if text.isReplyLine {
            builder.server(text.text, line: line.number)
            quitUnanswered = false
        } else if !builder.inContent {
            builder.client(text.text, line: line.number)
            quitUnanswered = builder.isOpen && text.text.uppercased() == "QUIT"
        }
    }

    mutating func finish(into builder: inout ImportBuilder) {
        answerQuit(into: &builder)
    }

    /// Writes the 221 that Postfix did not wait for after QUIT.
    private mutating func answerQuit(into builder: inout ImportBuilder) {
        guard quitUnanswered else { return }
        quitUnanswered = false
        builder.assume("Postfix does not wait for the reply to QUIT; 221 assumed")
        builder.server("221 2.0.0 Bye", line: 0)
    }
}
