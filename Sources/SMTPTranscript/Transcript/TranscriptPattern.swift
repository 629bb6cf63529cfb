import SMTPConversation
#if canImport(Glibc)
import Glibc
#endif

/// TranscriptPattern is a transcript line with `{name}` placeholders: it matches lines where
/// each placeholder stands for any text, and fills placeholders in for lines to be sent.
public struct TranscriptPattern: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    let pieces: [Piece]

    /// Splits a line into literal text and `{name}` placeholders (`{{` and `}}` are literal braces).
    public init(_ line: String) {
        var pieces: [Piece] = []
        var literal = ""
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            let next = line.index(after: index)
            if character == "{", next < line.endIndex, line[next] == "{" {
                literal.append("{")
                index = line.index(after: next)
                continue
            }
            if character == "}", next < line.endIndex, line[next] == "}" {
                literal.append("}")
                index = line.index(after: next)
                continue
            }
            if character == "{", let close = line[next...].firstIndex(of: "}"),
                line[next..<close].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ":" }),
                close > next
            {
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
                pieces.append(.placeholder(String(line[next..<close])))
                index = line.index(after: close)
                continue
            }
            literal.append(character)
            index = next
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// True when the line has at least one placeholder.
    public var hasPlaceholders: Bool { pieces.contains { if case .placeholder = $0 { return true }; return false } }

    /// True when the whole line is `{secret}`.
    public var isSecret: Bool { pieces == [.placeholder("secret")] }

    /// True when `text` matches: literals equal, each placeholder any (possibly empty) text.
    /// With `caseInsensitive`, literals are compared ignoring ASCII case.
    public func matches(_ text: String, caseInsensitive: Bool = false) -> Bool {
        let target = caseInsensitive ? Array(text.lowercased().utf8) : Array(text.utf8)
        let parts: [[UInt8]?] = pieces.map {
            switch $0 {
            case .literal(let value): return caseInsensitive ? Array(value.lowercased().utf8) : Array(value.utf8)
            case .placeholder: return nil
            }
        }
        return Self.match(parts[...], target[...])
    }

    private static func match(_ parts: ArraySlice<[UInt8]?>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let first = parts.first else { return text.isEmpty }
        if let literal = first {
            guard text.starts(with: literal) else { return false }
            return match(parts.dropFirst(), text.dropFirst(literal.count))
        }
        let rest = parts.dropFirst()
        if rest.isEmpty { return true }
        var start = text.startIndex
        while start <= text.endIndex {
            if match(rest, text[start...]) { return true }
            start += 1
        }
        return false
    }

    /// The line with placeholders filled in: `{date}` an RFC 5322 date, `{msgid}` a fresh
    /// message id, `{host}` `localhost`, anything else (`{any}`, `{secret}`) `x`.
    public func filled(values: [String: String] = [:]) -> String {
        pieces.map { piece -> String in
            switch piece {
            case .literal(let text): return text
            case .placeholder(let name):
                if let value = values[name] { return value }
                switch name {
                case "date": return rfc5322Date()
                case "msgid": return "<\(randomToken())@localhost>"
                case "host": return "localhost"
                default: return "x"
                }
            }
        }.joined()
    }
}

/// The current time as an RFC 5322 date, e.g. `Mon, 23 Nov 2026 12:00:00 +0000`.
public func rfc5322Date(_ seconds: Double? = nil) -> String {
    var time = seconds.map { time_t($0) } ?? Glibc.time(nil)
    var parts = tm()
    gmtime_r(&time, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S +0000", &parts)
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<16).map { _ in String(Int.random(in: 0..<36, using: &generator), radix: 36) }.joined()
}
