import SMTPConversation
extension Transcript {
    /// Parses a transcript (see `Transcript` for the format).
    ///
    /// Message content is recognised: client lines after `DATA` and a 354 reply, up to `> .`,
    /// are `.content`. A TLS boundary is inferred after a 220 reply to STARTTLS when none is
    /// written, so the seed's Office365 log (which has none) reads as it is.
    /// - Throws: `TranscriptError` naming the line for an unknown `@` directive or a malformed `@expect`.
    public init(parsing text: String, name: String = "transcript") throws(TranscriptError) {
        self.init(name: name)
        var inContent = false
        var awaiting354 = false
        var afterStartTLS = false
        var tlsInferencePending = false
        // Split on bytes: in Swift "\r\n" is one Character, so a CRLF file would not split on "\n".
        for (index, raw) in text.components(separatedByCRLF: ()).enumerated() {
            let number = index + 1
            let line = raw
            if line.trimmingSpaces().isEmpty || line.hasPrefix("#") { continue }

            let isServer = !(line.hasPrefix(">") || line.hasPrefix("(") || line.hasPrefix("@"))
            if !isServer, tlsInferencePending {
                tlsInferencePending = false
                if line.trimmingSpaces() != "@tls" { entries.append(Entry(.tls)) }
            }

            if line.hasPrefix(">") {
                var client = String(line.dropFirst())
                if client.hasPrefix(" ") { client.removeFirst() }
                if inContent {
                    if client == "." {
                        inContent = false
                        entries.append(Entry(.endOfData, line: number))
                    } else {
                        entries.append(Entry(.content(client), line: number))
                    }
                    continue
                }
                let verb = client.prefix { $0 != " " }.uppercased()
                awaiting354 = verb == "DATA"
                afterStartTLS = verb == "STARTTLS"
                entries.append(Entry(.command(client), line: number))
            } else if line.hasPrefix("(") {
                var note = String(line.dropFirst())
                if note.hasSuffix(")") { note.removeLast() }
                entries.append(Entry(.annotation(note), line: number))
            } else if line.hasPrefix("@") {
                try parseDirective(line, number: number)
            } else {
                var server = line
                if server.hasPrefix("< ") { server.removeFirst(2) } else if server == "<" { server = "" }
                if awaiting354 && server.hasPrefix("354") {
                    awaiting354 = false
                    inContent = true
                }
                if afterStartTLS {
                    afterStartTLS = false
                    tlsInferencePending = server.hasPrefix("220")
                }
                entries.append(Entry(.server(server), line: number))
            }
        }
        if tlsInferencePending { entries.append(Entry(.tls)) }
    }

    private mutating func parseDirective(_ line: String, number: Int) throws(TranscriptError) {
        let words = line.dropFirst().split(separator: " ").map(String.init)
        switch words.first?.lowercased() {
        case "tls": entries.append(Entry(.tls, line: number))
        case "close": entries.append(Entry(.close, line: number))
        case "hang": entries.append(Entry(.hang, line: number))
        case "expect":
            for setting in words.dropFirst() {
                let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw TranscriptError(file: name, line: number, message: "@expect takes key=value, got \"\(setting)\"")
                }
                expectations[parts[0]] = parts[1]
            }
        default:
            throw TranscriptError(
                file: name, line: number,
                message: "unknown directive \"\(line)\" (known: @tls, @close, @hang, @expect)")
        }
    }
}

extension String {
    /// The lines of the text split at LF, each without a CR before it (split on bytes: in Swift
    /// "\r\n" is one Character).
    func components(separatedByCRLF: Void) -> [String] {
        var parts: [String] = []
        var current: [UInt8] = []
        for byte in utf8 {
            if byte == 10 {
                if current.last == 13 { current.removeLast() }
                parts.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(byte)
            }
        }
        parts.append(String(decoding: current, as: UTF8.self))
        return parts
    }
}
