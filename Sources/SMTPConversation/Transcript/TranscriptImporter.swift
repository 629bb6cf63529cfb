/// TranscriptImporter turns a conversation captured by another tool into a transcript, so it
/// can become a fixture: swaks' output, Python smtplib's debug output (`set_debuglevel(1)` or
/// `2`), and JavaMail/Jakarta Mail's `mail.debug=true` log. Credentials in the capture (AUTH
/// initial responses and answers to 334 challenges) become `{secret}`.
public enum TranscriptImporter {
    /// Format names a capture's tool.
    public enum Format: String, CaseIterable, Sendable {
        /// swaks' terminal output (`<-`, ` ->`, `<~`, ` ~>`, `===`).
        case swaks
        /// Python smtplib with `set_debuglevel(1)` or `(2)` (`send: …`, `reply: b'…'`).
        case smtplib
        /// JavaMail / Jakarta Mail with `mail.debug=true` (bare protocol lines between `DEBUG` lines).
        case javamail
    }

    /// Converts a capture into a transcript.
    /// - Throws: `TranscriptError` when the capture holds no SMTP conversation.
    public static func importing(_ text: String, format: Format, name: String = "imported") throws(TranscriptError)
        -> Transcript
    {
        var lines: [String]
        switch format {
        case .swaks: lines = swaks(text)
        case .smtplib: lines = smtplib(text)
        case .javamail: lines = javamail(text)
        }
        guard lines.contains(where: { $0.hasPrefix(">") }) else {
            throw TranscriptError(file: name, line: 1, message: "no client line found: is this \(format.rawValue) output?")
        }
        lines = redacted(lines)
        if let first = lines.firstIndex(where: { $0.hasPrefix(">") || $0.hasPrefix("<") || $0 == "@tls" }), lines[first].hasPrefix(">") {
            // smtplib prints nothing of the greeting when debugging starts after connect.
            lines.insert(contentsOf: ["(the capture has no greeting; a 220 is assumed)", "< 220 localhost ESMTP"], at: first)
        }
        return try Transcript(parsing: lines.joined(separator: "\n") + "\n", name: name)
    }

    static func escaped(_ text: String) -> String { TranscriptRecorder.escaped(text) }

    static func client(_ text: String) -> String { text.isEmpty ? ">" : "> " + escaped(text) }

    static func server(_ text: String) -> String { "< " + escaped(text) }

    static func swaks(_ text: String) -> [String] {
        var lines: [String] = []
        for line in text.components(separatedByCRLF: ()) {
            if line.hasPrefix("<-  ") || line.hasPrefix("<~  ") || line.hasPrefix("<** ") || line.hasPrefix("<~* ") {
                lines.append(server(String(line.dropFirst(4))))
            } else if line.hasPrefix(" -> ") || line.hasPrefix(" ~> ") || line.hasPrefix(" -> ") {
                lines.append(client(String(line.dropFirst(4))))
            } else if line == " ->" || line == " ~>" {
                lines.append(client(""))
            } else if line.hasPrefix("=== ") || line.hasPrefix("*** ") {
                let note = String(line.dropFirst(4))
                if note.hasPrefix("TLS started") { lines.append("@tls") } else { lines.append("(\(note.replacingAll(")", with: "]")))") }
            }
        }
        return lines
    }

    static func smtplib(_ text: String) -> [String] {
        var lines: [String] = []
        for raw in text.components(separatedByCRLF: ()) where !raw.isEmpty {
            var line = Substring(raw)
            // debuglevel 2 starts each line with a time stamp.
            if let first = line.first, first.isNumber, let space = line.firstIndex(of: " ") { line = line[line.index(after: space)...] }
            if line.hasPrefix("send: ") {
                guard let payload = pythonLiteral(line.dropFirst(6)) else { continue }
                for part in splitLines(payload) { lines.append(client(part)) }
            } else if line.hasPrefix("reply: b") || line.hasPrefix("reply: '") {
                guard let payload = pythonLiteral(line.dropFirst(7)) else { continue }
                for part in splitLines(payload) { lines.append(server(part)) }
            } else if line.hasPrefix("connect: ") && !line.hasPrefix("connect: to ") {
                lines.append("(\(String(line).replacingAll("(", with: "").replacingAll(")", with: "")))")
            }
        }
        return lines
    }

    static func javamail(_ text: String) -> [String] {
        var lines: [String] = []
        var inContent = false
        var awaiting354 = false
        for line in text.components(separatedByCRLF: ()) {
            if line.hasPrefix("DEBUG") {
                if line.contains("STARTTLS") && line.lowercased().contains("succeed") { lines.append("@tls") }
                continue
            }
            if inContent {
                lines.append(client(line))
                if line == "." { inContent = false }
                continue
            }
            if isReplyLine(line) {
                lines.append(server(line))
                if awaiting354 && line.hasPrefix("354") {
                    awaiting354 = false
                    inContent = true
                }
            } else if !line.isEmpty {
                lines.append(client(line))
                awaiting354 = line.uppercased() == "DATA"
            }
        }
        return lines
    }

    static func isReplyLine(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes.prefix(3).allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-")
    }

    /// Replaces AUTH initial responses and the client's answers to 334 challenges with `{secret}`.
    static func redacted(_ lines: [String]) -> [String] {
        var result: [String] = []
        var inSASL = false
        for line in lines {
            if line.hasPrefix(">") {
                let text = line.hasPrefix("> ") ? String(line.dropFirst(2)) : ""
                let words = text.split(separator: " ")
                if words.first?.uppercased() == "AUTH" {
                    inSASL = true
                    result.append(words.count > 2 ? "> \(words[0]) \(words[1]) \(Command.secretPlaceholder)" : line)
                    continue
                }
                result.append(inSASL ? "> " + Command.secretPlaceholder : line)
                continue
            }
            if line.hasPrefix("< ") {
                let code = line.dropFirst(2).prefix(3)
                let last = line.count <= 5 || Array(line.utf8)[5] != UInt8(ascii: "-")
                if last && code != "334" { inSASL = false }
            }
            result.append(line)
        }
        return result
    }

    static func splitLines(_ text: String) -> [String] {
        var parts = text.components(separatedByCRLF: ())
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// Decodes a Python `repr` of str or bytes: `'…'`, `"…"`, `b'…'` with \r \n \t \\ \' \" \xNN.
    static func pythonLiteral(_ text: Substring) -> String? {
        var body = text.drop { $0 == " " }
        if body.hasPrefix("b") { body = body.dropFirst() }
        guard let quote = body.first, quote == "'" || quote == "\"", body.last == quote, body.count >= 2 else { return nil }
        body = body.dropFirst().dropLast()
        var bytes: [UInt8] = []
        var iterator = Array(body.utf8)[...]
        while let byte = iterator.popFirst() {
            guard byte == UInt8(ascii: "\\"), let next = iterator.popFirst() else {
                bytes.append(byte)
                continue
            }
            switch next {
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "x"):
                let hex = String(decoding: iterator.prefix(2), as: UTF8.self)
                iterator = iterator.dropFirst(2)
                bytes.append(UInt8(hex, radix: 16) ?? 0x3F)
            default: bytes.append(next)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func components(separatedByCRLF: Void) -> [String] {
        var parts: [String] = []
        var current: [UInt8] = []
        var bytes = Array(utf8)[...]
        while let byte = bytes.popFirst() {
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
