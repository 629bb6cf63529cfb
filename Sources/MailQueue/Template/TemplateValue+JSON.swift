extension TemplateValue {
    /// Parses one JSON text (RFC 8259) into a value: objects, arrays, strings (every escape,
    /// surrogate pairs), numbers, `true`, `false`, `null`. Strict: the text must be valid
    /// UTF-8, strings may not hold raw control characters, an object may not repeat a key,
    /// nesting stops at 64 levels, and nothing but white space may follow the value.
    ///
    /// `mail-queue enqueue --jsonl` reads its lines with this: Foundation's JSONDecoder cost
    /// more than storing the request.
    /// - Throws: `QueueError.invalidMessage` with the byte offset and what was expected.
    public static func parseJSON(_ bytes: some Collection<UInt8>, field: String = "JSON") throws(QueueError) -> TemplateValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(bytes: buffer, field: field)
            return Result { () throws(QueueError) -> TemplateValue in try parser.document() }
        } ?? Array(bytes).withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer, field: field)
            return Result { () throws(QueueError) -> TemplateValue in try parser.document() }
        }
        return try result.get()
    }
}

/// JSONParser reads one JSON text from contiguous bytes (see `TemplateValue.parseJSON`).
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let field: String
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, field: String) {
        self.bytes = bytes
        self.field = field
    }

    mutating func document() throws(QueueError) -> TemplateValue {
        let value = try self.value()
        skipSpace()
        guard index == bytes.count else { throw fail("nothing after the value") }
        return value
    }

    func fail(_ expected: String) -> QueueError {
        let found = index < bytes.count ? "'\(Character(Unicode.Scalar(bytes[index])))'" : "the end"
        return QueueError(.invalidMessage, field: field, reason: "invalid JSON at byte \(index): expected \(expected), found \(found)")
    }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    mutating func value() throws(QueueError) -> TemplateValue {
        skipSpace()
        guard index < bytes.count else { throw fail("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return .number(try number())
        }
    }

    mutating func nested<T>(_ body: (inout JSONParser) throws(QueueError) -> T) throws(QueueError) -> T {
        depth += 1
        guard depth <= 64 else { throw fail("at most 64 levels of nesting") }
        defer { depth -= 1 }
        return try body(&self)
    }

    mutating func object() throws(QueueError) -> TemplateValue {
        try nested { (p) throws(QueueError) -> TemplateValue in
            p.index += 1
            var members: [String: TemplateValue] = [:]
            p.skipSpace()
            if p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "}") {
                p.index += 1
                return .object(members)
            }
            while true {
                p.skipSpace()
                guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "\"") else { throw p.fail("a member name in quotes") }
                let start = p.index
                let key = try p.string()
                p.skipSpace()
                guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: ":") else { throw p.fail("':' after a member name") }
                p.index += 1
                let value = try p.value()
                guard members.updateValue(value, forKey: key) == nil else {
                    p.index = start
                    throw p.fail("each member name once (\"\(key)\" is repeated)")
                }
                if try p.endsAfterElement(closing: "}") { return .object(members) }
            }
        }
    }

    /// After an element of an object or a list: a ',' (another element follows: false) or the
    /// `closing` bracket (the container ends: true), each consumed; anything else is an error.
    mutating func endsAfterElement(closing: Unicode.Scalar) throws(QueueError) -> Bool {
        skipSpace()
        let expected = "',' or '\(closing)'"
        guard index < bytes.count else { throw fail(expected) }
        switch bytes[index] {
        case UInt8(ascii: ","): index += 1; return false
        case UInt8(ascii: closing): index += 1; return true
        default: throw fail(expected)
        }
    }

    mutating func array() throws(QueueError) -> TemplateValue {
        try nested { (p) throws(QueueError) -> TemplateValue in
            p.index += 1
            var elements: [TemplateValue] = []
            p.skipSpace()
            if p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "]") {
                p.index += 1
                return .list(elements)
            }
            while true {
                elements.append(try p.value())
                if try p.endsAfterElement(closing: "]") { return .list(elements) }
            }
        }
    }

    mutating func literal(_ word: StaticString, _ value: TemplateValue) throws(QueueError) -> TemplateValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] }) else { throw fail("\(word)") }
        index += count
        return value
    }

    mutating func number() throws(QueueError) -> Double {
        let start = index
        func digits(_ p: inout JSONParser) -> Int {
            let from = p.index
            while p.index < p.bytes.count, p.bytes[p.index] >= 0x30, p.bytes[p.index] <= 0x39 { p.index += 1 }
            return p.index - from
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leading = index
        guard digits(&self) > 0 else { throw fail("a value") }
        if bytes[leading] == UInt8(ascii: "0"), index - leading > 1 { index = leading + 1; throw fail("no leading zeros") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw fail("digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw fail("exponent digits") }
        }
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
              value.isFinite else {
            index = start
            throw fail("a number a Double can hold")
        }
        return value
    }

    /// A string at `index` (on its opening quote); the bytes between escapes are copied as
    /// they are and checked to be UTF-8 once.
    mutating func string() throws(QueueError) -> String {
        index += 1
        var out: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail("the closing '\"'") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw fail("no raw control character in a string (escape it)") }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            index += 1
            guard index < bytes.count else { throw fail("an escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("the low half of a surrogate pair")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("the low half of a surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("a Unicode scalar, not a lone surrogate") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                index -= 1
                throw fail("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
            runStart = index
        }
        let text: String?
        if out.isEmpty {
            text = String(validating: UnsafeBufferPointer(rebasing: bytes[runStart..<index]), as: UTF8.self)
        } else {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            text = String(validating: out, as: UTF8.self)
        }
        guard let text else { throw fail("UTF-8 text in the string before this quote") }
        index += 1
        return text
    }

    mutating func hex4() throws(QueueError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw fail("a hex digit")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
