import SMTPConversation
/// JavaMailReader reads JavaMail / Jakarta Mail / Angus Mail `mail.debug=true` output: protocol
/// lines bare, between `DEBUG SMTP: …` lines, in whatever log the application writes.
///
/// Since JavaMail 1.5 the AUTH exchange is not traced (`DEBUG SMTP: AUTH LOGIN command trace
/// suppressed`, then `… succeeded` or `… failed`); it is written as the mechanism's exchange with
/// `{secret}` answers, and the failure's reply is taken from the `AuthenticationFailedException`
/// text when the log holds it. Message content is taken whole, including lines that begin with
/// `DEBUG`.
struct JavaMailReader: CaptureReader {
    private var prefix = LinePrefix()
    private var suppressed: String?
    private var failed: (mechanism: String, line: Int)?

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        if line.offset(of: "DEBUG SMTP:") != nil { return 3 }
        if line.offset(of: "DEBUG: JavaMail") != nil || line.offset(of: "DEBUG: Jakarta Mail") != nil
            || line.offset(of: "DEBUG: Angus Mail") != nil
        {
            return 3
        }
        return 0
    }

    init() {}

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        if !prefix.isLearnt {
            guard let offset = line.bytes.offset(of: "DEBUG SMTP:") ?? line.bytes.offset(of: "DEBUG: ") else {
                builder.skip(line.bytes, line: line.number)
                return
            }
            prefix.learn(line.bytes, markerAt: offset)
        }
        guard let rest = prefix.strip(line.bytes) else {
            exception(line, into: &builder)
            return
        }
        if builder.inContent {
            builder.client(rest.text, line: line.number)
            return
        }
        if rest.starts(with: "DEBUG") {
            debug(rest, line: line.number, into: &builder)
            return
        }
        if rest.isReplyLine {
            flushFailure(reply: nil, into: &builder)
            builder.server(rest.text, line: line.number)
        } else if CaptureSyntax.isElision(rest) {
            builder.elision(rest.text, line: line.number)
        } else if CaptureSyntax.isCommand(rest) || (builder.expectsContinuation && !rest.trimmingLeadingBlanks.isEmpty && rest.first != 9) {
            flushFailure(reply: nil, into: &builder)
            builder.client(rest.text, line: line.number)
        } else {
            exception(line, into: &builder)
        }
    }

    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool { line.offset(of: "trying to connect to host") != nil }

    private mutating func debug(_ rest: ArraySlice<UInt8>, line: Int, into builder: inout ImportBuilder) {
        let connecting = Self.startsConversation(rest)
        // Most DEBUG lines are neither: decide on bytes before making a String.
        guard connecting || rest.offset(of: "AUTH ") != nil else { return }
        let text = rest.text
        if connecting {
            flushFailure(reply: nil, into: &builder)
            builder.connection()
            if text.contains("isSSL true") { builder.tls(line: line) }
            return
        }
        guard let range = text.firstRange(of: "AUTH ") else { return }
        let words = text[range.upperBound...].split(separator: " ")
        guard let mechanism = words.first.map(String.init) else { return }
        if text.hasSuffix("command trace suppressed") {
            suppressed = mechanism
        } else if text.hasSuffix(" succeeded"), suppressed == mechanism {
            suppressed = nil
            writeExchange(mechanism, reply: "235 2.7.0 Authentication successful", into: &builder)
        } else if text.hasSuffix(" failed"), suppressed == mechanism {
            suppressed = nil
            failed = (mechanism, line)
        }
    }

    /// A line from outside the capture: skipped, but an `AuthenticationFailedException` names
    /// the reply to a suppressed AUTH that failed.
    private mutating func exception(_ line: CaptureLine, into builder: inout ImportBuilder) {
        if failed != nil, let offset = line.bytes.offset(of: "AuthenticationFailedException: ") {
            let reply = line.bytes.dropFirst(offset + 31)
            if reply.isReplyLine {
                flushFailure(reply: reply.trimmingTrailingBlanks.text, into: &builder)
            }
        }
        builder.skip(line.bytes, line: line.number)
    }

    private mutating func flushFailure(reply: String?, into builder: inout ImportBuilder) {
        guard let failed else { return }
        self.failed = nil
        if reply == nil { builder.assume("the reply to the failed AUTH \(failed.mechanism) is not in the capture; 535 assumed") }
        writeExchange(failed.mechanism, reply: reply ?? "535 5.7.8 Authentication failed", into: &builder)
    }

    private func writeExchange(_ mechanism: String, reply: String, into builder: inout ImportBuilder) {
        builder.assume("JavaMail suppressed the AUTH \(mechanism) trace; its exchange is assumed")
        switch mechanism.uppercased() {
        case "LOGIN":
            builder.client("AUTH LOGIN", line: 0)
            builder.server("334 VXNlcm5hbWU6", line: 0)
            builder.client("-", line: 0)
            builder.server("334 UGFzc3dvcmQ6", line: 0)
            builder.client("-", line: 0)
        case "PLAIN", "XOAUTH2", "OAUTHBEARER":
            builder.client("AUTH \(mechanism) -", line: 0)
        default:
            builder.client("AUTH \(mechanism)", line: 0)
            builder.server("334 PDEyMzQ1QGxvY2FsaG9zdD4=", line: 0)
            builder.client("-", line: 0)
        }
        builder.server(reply, line: 0)
    }

    mutating func finish(into builder: inout ImportBuilder) {
        flushFailure(reply: nil, into: &builder)
    }
}
