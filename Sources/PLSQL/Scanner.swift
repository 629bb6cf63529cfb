/// PLSQLSyntaxError is source that could not be read or is outside the supported subset,
/// with the file line it was found on.
public struct PLSQLSyntaxError: Error, CustomStringConvertible, Sendable {
    /// The 1-based file line.
    public var line: Int
    /// What is wrong, and what to do where there is something to do.
    public var message: String
    /// Creates an error.
    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }
    /// The line and the message.
    public var description: String { "line \(line): \(message)" }
}

/// Scanner turns PL/SQL source into tokens: identifiers (upper-cased), `'…'` strings with
/// `''`, `q'[…]'` and `N'…'`, numbers, operators, `:BIND` names; `--` and `/* */` comments
/// are skipped. It works on UTF-8 bytes (keywords and operators are ASCII).
public struct Scanner {
    private let bytes: [UInt8]
    private var index = 0
    private var line: Int

    /// Creates a scanner over `source`, whose first line is `firstLine` of its file.
    public init(_ source: String, firstLine: Int = 1) {
        bytes = Array(source.utf8)
        line = firstLine
    }

    /// Every token of the source, ending with `.end`.
    public static func tokens(_ source: String, firstLine: Int = 1) throws(PLSQLSyntaxError) -> [PLSQLToken] {
        var scanner = Scanner(source, firstLine: firstLine)
        var result: [PLSQLToken] = []
        result.reserveCapacity(source.utf8.count / 4)
        while true {
            let token = try scanner.next()
            result.append(token)
            if token.kind == .end { return result }
        }
    }

    /// The two-character operators by their bytes (`~=` and `^=` read as `!=`).
    private static let pairs: [UInt16: String] = {
        var table: [UInt16: String] = [:]
        for pair in ["=>", "||", "..", "**", "<>", "!=", "~=", "^=", "<=", ">=", "<<", ">>"] {
            let bytes = Array(pair.utf8)
            table[UInt16(bytes[0]) << 8 | UInt16(bytes[1])] = pair == "~=" || pair == "^=" ? "!=" : pair
        }
        return table
    }()

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte >= 0x80
    }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    private static func isWordByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == 95 || byte == 36 || byte == 35  // _ $ #
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func skipSpaceAndComments() throws(PLSQLSyntaxError) {
        while let byte = peek() {
            if byte == 10 {
                line += 1
                index += 1
            } else if byte == 32 || byte == 9 || byte == 13 || byte == 12 {
                index += 1
            } else if byte == 45, peek(1) == 45 {  // --
                while let next = peek(), next != 10 { index += 1 }
            } else if byte == 47, peek(1) == 42 {  // /*
                let start = line
                index += 2
                while true {
                    guard let next = peek() else { throw PLSQLSyntaxError(line: start, "comment /* is not closed by */") }
                    if next == 42, peek(1) == 47 {
                        index += 2
                        break
                    }
                    if next == 10 { line += 1 }
                    index += 1
                }
            } else {
                return
            }
        }
    }

    /// The next token.
    public mutating func next() throws(PLSQLSyntaxError) -> PLSQLToken {
        try skipSpaceAndComments()
        guard let byte = peek() else { return PLSQLToken(.end, line: line) }
        let start = line
        // q'[…]' and N'…' / NQ'[…]'
        if byte == 113 || byte == 81 || byte == 110 || byte == 78 {  // q Q n N
            var offset = 0
            if byte == 110 || byte == 78 { offset = 1 }
            if let q = peek(offset), q == 113 || q == 81, peek(offset + 1) == 39, let open = peek(offset + 2) {
                index += offset + 3
                return PLSQLToken(.string(try quoteDelimited(open, line: start)), line: start)
            }
            if offset == 1, peek(1) == 39 {
                index += 1
                return PLSQLToken(.string(try quoted(line: start)), line: start)
            }
        }
        if Self.isLetter(byte) {
            let begin = index
            var ascii = true
            while let next = peek(), Self.isWordByte(next) {
                if next >= 0x80 { ascii = false }
                index += 1
            }
            // Keywords and most names are ASCII: upper-cased byte by byte, without Unicode tables.
            guard ascii else { return PLSQLToken(.word(String(decoding: bytes[begin..<index], as: UTF8.self).uppercased()), line: start) }
            let word = String(unsafeUninitializedCapacity: index - begin) { buffer in
                for (offset, byte) in bytes[begin..<index].enumerated() { buffer[offset] = byte >= 97 && byte <= 122 ? byte - 32 : byte }
                return index - begin
            }
            return PLSQLToken(.word(word), line: start)
        }
        if Self.isDigit(byte) || (byte == 46 && peek(1).map(Self.isDigit) == true) {
            return PLSQLToken(.number(number()), line: start)
        }
        switch byte {
        case 39:  // '
            return PLSQLToken(.string(try quoted(line: start)), line: start)
        case 34:  // "
            index += 1
            let begin = index
            while let next = peek(), next != 34 {
                if next == 10 { line += 1 }
                index += 1
            }
            guard peek() == 34 else { throw PLSQLSyntaxError(line: start, "quoted identifier \" is not closed") }
            let name = String(decoding: bytes[begin..<index], as: UTF8.self)
            index += 1
            return PLSQLToken(.quotedWord(name), line: start)
        case 58:  // :
            if peek(1) == 61 {
                index += 2
                return PLSQLToken(.symbol(":="), line: start)
            }
            if let next = peek(1), Self.isLetter(next) || Self.isDigit(next) {
                index += 1
                let begin = index
                while let next = peek(), Self.isWordByte(next) { index += 1 }
                return PLSQLToken(.bind(String(decoding: bytes[begin..<index], as: UTF8.self).uppercased()), line: start)
            }
        default: break
        }
        if let second = peek(1), let pair = Self.pairs[UInt16(byte) << 8 | UInt16(second)] {
            index += 2
            return PLSQLToken(.symbol(pair), line: start)
        }
        let single = "(),;.%+-*/=<>@:"
        if byte < 0x80, single.utf8.contains(byte) {
            index += 1
            return PLSQLToken(.symbol(String(UnicodeScalar(byte))), line: start)
        }
        throw PLSQLSyntaxError(line: start, "unexpected character \(String(decoding: bytes[index..<min(index + 4, bytes.count)], as: UTF8.self).prefix(1))")
    }

    private mutating func number() -> String {
        let begin = index
        while let next = peek(), Self.isDigit(next) { index += 1 }
        if peek() == 46, peek(1) != 46 {
            index += 1
            while let next = peek(), Self.isDigit(next) { index += 1 }
        }
        if let e = peek(), e == 101 || e == 69, let after = peek(1),
            Self.isDigit(after) || ((after == 43 || after == 45) && peek(2).map(Self.isDigit) == true)
        {
            index += 2
            while let next = peek(), Self.isDigit(next) { index += 1 }
        }
        return String(decoding: bytes[begin..<index], as: UTF8.self)
    }

    /// A `'…'` literal starting at the quote; `''` is a quote.
    private mutating func quoted(line start: Int) throws(PLSQLSyntaxError) -> String {
        index += 1
        var text: [UInt8] = []
        while true {
            guard let next = peek() else { throw PLSQLSyntaxError(line: start, "string literal ' is not closed") }
            index += 1
            if next == 39 {
                if peek() == 39 {
                    text.append(39)
                    index += 1
                    continue
                }
                return String(decoding: text, as: UTF8.self)
            }
            if next == 10 { line += 1 }
            text.append(next)
        }
    }

    /// A `q'X…X'` literal after its opening delimiter X (`[`, `{`, `<`, `(` close with their pair).
    private mutating func quoteDelimited(_ open: UInt8, line start: Int) throws(PLSQLSyntaxError) -> String {
        let close: UInt8 = switch open {
        case 91: 93  // [ ]
        case 123: 125  // { }
        case 60: 62  // < >
        case 40: 41  // ( )
        default: open
        }
        let begin = index
        while true {
            guard let next = peek() else { throw PLSQLSyntaxError(line: start, "q'\(UnicodeScalar(open))…\(UnicodeScalar(close))' literal is not closed") }
            if next == close, peek(1) == 39 {
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                index += 2
                return text
            }
            if next == 10 { line += 1 }
            index += 1
        }
    }
}
