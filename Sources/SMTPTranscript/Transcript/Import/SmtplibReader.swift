import SMTPConversation
/// SmtplibReader reads Python smtplib's debug output: `set_debuglevel(1)` (`send: 'ehlo …\r\n'`,
/// `reply: b'250-…\r\n'`) and `(2)` (the same after a time stamp), Python 2 (`'…'`) and 3
/// (`b'…'`) reprs. A repr that does not close on its line was wrapped (by a terminal, an editor,
/// a web page) and is joined with the lines that follow until it does. `reply: retcode …`,
/// `data: …` and `connect: …` are smtplib's own chatter.
struct SmtplibReader: CaptureReader {
    private var prefix = LinePrefix()
    /// A `send:`/`reply:` whose repr has not closed yet.
    private var open: (isSend: Bool, text: [UInt8], line: Int)?

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        if line.offset(of: "send: '") != nil || line.offset(of: "send: b'") != nil || line.offset(of: "send: \"") != nil
            || line.offset(of: "reply: b'") != nil || line.offset(of: "reply: '") != nil || line.offset(of: "reply: retcode") != nil
        {
            return 3
        }
        return 0
    }

    init() {}

    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool { line.offset(of: "connect: (") != nil }

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        if var pending = open {
            // The rest of a wrapped repr: without the prefix when the paste kept it (indentation).
            pending.text += prefix.strip(line.bytes) ?? line.bytes
            open = nil
            take(pending.isSend, pending.text[...], line: pending.line, into: &builder)
            return
        }
        guard let rest = prefix.strip(line.bytes, learningFrom: Self.marker) else {
            builder.skip(line.bytes, line: line.number)
            return
        }
        if rest.starts(with: "send: ") {
            take(true, rest.dropFirst(6), line: line.number, into: &builder)
        } else if rest.starts(with: "reply: retcode") || rest.starts(with: "data: (") {
            return
        } else if rest.starts(with: "reply: ") {
            take(false, rest.dropFirst(7), line: line.number, into: &builder)
        } else if rest.starts(with: "connect: (") {
            builder.connection()
            builder.annotation("connect " + rest.dropFirst(9).text)
        } else if rest.starts(with: "connect: ") {
            return
        } else if CaptureSyntax.isElision(rest) {
            builder.elision(rest.text, line: line.number)
        } else {
            builder.skip(line.bytes, line: line.number)
        }
    }

    static func marker(_ line: ArraySlice<UInt8>) -> Int? {
        for marker in ["send: ", "reply: ", "connect: "] as [StaticString] {
            if let offset = line.offset(of: marker) { return offset }
        }
        return nil
    }

    private mutating func take(_ isSend: Bool, _ literal: ArraySlice<UInt8>, line: Int, into builder: inout ImportBuilder) {
        switch Self.decode(literal) {
        case .incomplete:
            open = (isSend, Array(literal), line)
        case .invalid:
            builder.skip(literal, line: line)
        case .text(let payload):
            var parts = payload.components(separatedByCRLF: ())
            if parts.last == "" { parts.removeLast() }
            for part in parts {
                if isSend { builder.client(part, line: line) } else { builder.server(part, line: line) }
            }
        }
    }

    enum Literal: Equatable {
        case text(String)
        case incomplete
        case invalid
    }

    /// Decodes a Python `repr` of str or bytes: `'…'`, `"…"`, `b'…'` with `\r \n \t \\ \' \" \xNN`.
    static func decode(_ input: ArraySlice<UInt8>) -> Literal {
        var body = input.trimmingLeadingBlanks.trimmingTrailingBlanks
        if body.first == UInt8(ascii: "b") { body = body.dropFirst() }
        guard let quote = body.first, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return .invalid }
        var bytes: [UInt8] = []
        var index = body.index(after: body.startIndex)
        while index < body.endIndex {
            let byte = body[index]
            index += 1
            if byte == quote { return .text(String(decoding: bytes, as: UTF8.self)) }
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            guard index < body.endIndex else { return .incomplete }
            let next = body[index]
            index += 1
            switch next {
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "x"):
                guard index + 2 <= body.endIndex else { return .incomplete }
                let hex = String(decoding: body[index..<(index + 2)], as: UTF8.self)
                index += 2
                bytes.append(UInt8(hex, radix: 16) ?? 0x3F)
            default: bytes.append(next)
            }
        }
        return .incomplete
    }
}
