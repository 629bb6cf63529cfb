import Foundation
import SMTPConversation

extension Interpreter {
    func values(_ arguments: [Argument]?, _ scope: Scope) throws(OracleException) -> [Value] {
        var result: [Value] = []
        for argument in arguments ?? [] { result.append(try evaluate(argument.value, scope)) }
        return result
    }

    /// Binds a subprogram's arguments to its parameter names (positional, then `name =>`).
    func bind(_ arguments: [Argument], to names: [String], in subprogram: String, _ scope: Scope) throws(OracleException) -> [String: Value] {
        var result: [String: Value] = [:]
        var position = 0
        for argument in arguments {
            let name: String
            if let given = argument.name {
                guard names.contains(given) else {
                    throw OracleException(number: 6550, message: "PLS-00306: wrong number or types of arguments in call to '\(subprogram)' (no parameter \(given))")
                }
                name = given
            } else {
                guard position < names.count else {
                    throw OracleException(number: 6550, message: "PLS-00306: wrong number or types of arguments in call to '\(subprogram)'")
                }
                name = names[position]
                position += 1
            }
            result[name] = try evaluate(argument.value, scope)
        }
        return result
    }

    func text(_ values: [Value], _ index: Int) throws(OracleException) -> String? {
        index < values.count ? try Conversions.text(values[index]) : nil
    }

    func integer(_ values: [Value], _ index: Int) throws(OracleException) -> Int? {
        guard index < values.count, let number = try Conversions.number(values[index]) else { return nil }
        return Int(number.rounded(.towardZero))
    }

    var now: (seconds: Double, zoneOffset: Int) { host.now() }

    /// STANDARD's functions and pseudo-columns; nil when `name` is none of them.
    func builtin(_ name: String, _ arguments: [Argument]?, _ scope: Scope, line: Int) throws(OracleException) -> Value? {
        switch name {
        case "SYSDATE", "CURRENT_DATE": return .date(now.seconds.rounded(.down), zoneOffset: nil)
        case "SYSTIMESTAMP", "CURRENT_TIMESTAMP": return .date(now.seconds, zoneOffset: now.zoneOffset)
        case "LOCALTIMESTAMP": return .date(now.seconds, zoneOffset: nil)
        case "SQLCODE": return .number(Double(handling.last?.sqlcode ?? 0))
        case "SQLERRM":
            let given = try values(arguments, scope)
            if let code = try integer(given, 0) {
                if code == 0 { return .string("ORA-0000: normal, successful completion") }
                if code == 100 { return .string("ORA-01403: no data found") }
                if code > 0 { return .string("User-Defined Exception") }
                if let known = OracleException.predefined.values.first(where: { $0.0 == -code }) { return .string(OracleException.code(-code) + ": " + known.1) }
                return .string(OracleException.code(-code) + ": ")
            }
            return .string(handling.last?.sqlerrm ?? "ORA-0000: normal, successful completion")
        case "USER": return .string("SMTP_REPL")
        case "RAISE_APPLICATION_ERROR":
            let given = try values(arguments, scope)
            guard let number = try integer(given, 0) else { throw OracleException.valueError("raise_application_error needs an error number") }
            guard (-20999 ... -20000).contains(number) else {
                throw OracleException(number: 21000, message: "error number argument to raise_application_error of \(number) is out of range")
            }
            var message = try text(given, 1) ?? ""
            if message.utf8.count > 2048 { message = String(decoding: Array(message.utf8).prefix(2048), as: UTF8.self) }
            throw OracleException(number: -number, message: message, reply: lastFailure)
        default: break
        }
        guard let arguments else { return nil }
        let v = try values(arguments, scope)
        func string(_ index: Int) throws(OracleException) -> String? { try text(v, index) }
        func number(_ index: Int) throws(OracleException) -> Double? { index < v.count ? try Conversions.number(v[index]) : nil }
        switch name {
        case "UPPER": return try string(0).map { .text($0.uppercased()) } ?? .null
        case "LOWER": return try string(0).map { .text($0.lowercased()) } ?? .null
        case "INITCAP": return try string(0).map { .text($0.capitalized) } ?? .null
        case "LENGTH": return try string(0).map { .number(Double($0.unicodeScalars.count)) } ?? .null
        case "LENGTHB":
            if case .raw(let bytes)? = v.first { return .number(Double(bytes.count)) }
            return try string(0).map { .number(Double($0.utf8.count)) } ?? .null
        case "SUBSTR", "SUBSTRB":
            guard let text = try string(0), var start = try integer(v, 1) else { return .null }
            let characters = Array(text.unicodeScalars)
            if start == 0 { start = 1 }
            if start < 0 { start = characters.count + start + 1 }
            guard start >= 1, start <= characters.count else { return .null }
            var length = characters.count - start + 1
            if v.count > 2 {
                guard let given = try integer(v, 2), given >= 1 else { return .null }
                length = min(length, given)
            }
            return .text(Self.string(characters[(start - 1)..<(start - 1 + length)]))
        case "INSTR":
            guard let text = try string(0), let search = try string(1) else { return .null }
            let position = try integer(v, 2) ?? 1, occurrence = try integer(v, 3) ?? 1
            return .number(Double(Self.instr(Array(text.unicodeScalars), Array(search.unicodeScalars), position, occurrence)))
        case "TRIM": return try string(0).map { .text($0.trimmingCharacters(in: .init(charactersIn: " "))) } ?? .null
        case "LTRIM", "RTRIM":
            guard let text = try string(0) else { return .null }
            let set = Set(try string(1) ?? " ")
            var characters = Substring(text)
            if name == "LTRIM" { while let c = characters.first, set.contains(c) { characters.removeFirst() } } else {
                while let c = characters.last, set.contains(c) { characters.removeLast() }
            }
            return .text(String(characters))
        case "LPAD", "RPAD":
            guard let text = try string(0), let width = try integer(v, 1) else { return .null }
            let fill = Array((try string(2) ?? " ").unicodeScalars)
            var characters = Array(text.unicodeScalars)
            if characters.count >= width { return .text(Self.string(characters.prefix(max(0, width)))) }
            var padding: [Unicode.Scalar] = []
            while padding.count < width - characters.count { padding.append(fill[padding.count % fill.count]) }
            characters = name == "LPAD" ? padding + characters : characters + padding
            return .text(Self.string(characters))
        case "REPLACE":
            guard let text = try string(0) else { return .null }
            guard let from = try string(1) else { return .string(text) }
            return .text(text.replacingOccurrences(of: from, with: try string(2) ?? ""))
        case "TRANSLATE":
            guard let text = try string(0), let from = try string(1) else { return .null }
            let to = Array(try string(2) ?? "")
            let source = Array(from)
            return .text(String(text.compactMap { c -> Character? in
                guard let index = source.firstIndex(of: c) else { return c }
                return index < to.count ? to[index] : nil
            }))
        case "CONCAT": return .text((try string(0) ?? "") + (try string(1) ?? ""))
        case "NVL": return v.first.map { $0.isNull ? (v.count > 1 ? v[1] : .null) : $0 } ?? .null
        case "NVL2": return v.count == 3 ? (v[0].isNull ? v[2] : v[1]) : .null
        case "COALESCE": return v.first { !$0.isNull } ?? .null
        case "DECODE":
            guard let subject = v.first else { return .null }
            var index = 1
            while index + 1 < v.count {
                let same = subject.isNull && v[index].isNull ? true : try compare(subject, v[index]) == 0
                if same { return v[index + 1] }
                index += 2
            }
            return index < v.count ? v[index] : .null
        case "GREATEST", "LEAST":
            guard var best = v.first, !best.isNull else { return .null }
            for candidate in v.dropFirst() {
                guard let order = try compare(candidate, best) else { return .null }
                if (name == "GREATEST" && order > 0) || (name == "LEAST" && order < 0) { best = candidate }
            }
            return best
        case "CHR":
            guard let code = try integer(v, 0), code >= 0, code < 256 else { return .null }
            return .string(String(UnicodeScalar(UInt8(code))))
        case "ASCII": return try string(0).flatMap { $0.unicodeScalars.first }.map { .number(Double($0.value)) } ?? .null
        case "MOD":
            guard let x = try number(0), let y = try number(1) else { return .null }
            return .number(y == 0 ? x : x - y * (x / y).rounded(.towardZero))
        case "ROUND", "TRUNC":
            if case .date(let seconds, let zone)? = v.first { return .date((seconds / 86400).rounded(name == "ROUND" ? .toNearestOrAwayFromZero : .down) * 86400, zoneOffset: zone) }
            guard let x = try number(0) else { return .null }
            let factor = Conversions.pow10(try integer(v, 1) ?? 0)
            return .number((x * factor).rounded(name == "ROUND" ? .toNearestOrAwayFromZero : .towardZero) / factor)
        case "ABS": return try number(0).map { .number(abs($0)) } ?? .null
        case "FLOOR": return try number(0).map { .number($0.rounded(.down)) } ?? .null
        case "CEIL": return try number(0).map { .number($0.rounded(.up)) } ?? .null
        case "SIGN": return try number(0).map { .number($0 > 0 ? 1 : $0 < 0 ? -1 : 0) } ?? .null
        case "POWER":
            guard let x = try number(0), let y = try number(1) else { return .null }
            return .number(pow(x, y))
        case "TO_NUMBER":
            if v.count > 1, let text = try string(0), let mask = try string(1), mask.uppercased().contains("X") {
                return UInt64(text, radix: 16).map { .number(Double($0)) } ?? .null
            }
            return try number(0).map { .number($0) } ?? .null
        case "TO_CHAR":
            guard let value = v.first else { return .null }
            switch value {
            case .date(let seconds, let zone):
                return .text(DateFormat.format(seconds, zoneOffset: zone, mask: try string(1) ?? (zone == nil ? "DD-MON-RR" : "DD-MON-RR HH.MI.SS.FF AM TZH:TZM")))
            case .number(let x):
                guard let mask = try string(1) else { return .string(Conversions.format(x)) }
                return .string(NumberFormat.format(x, mask: mask))
            default:
                return try Conversions.text(value).map { .string($0) } ?? .null
            }
        case "TO_DATE", "TO_TIMESTAMP":
            guard let text = try string(0) else { return .null }
            guard let seconds = DateFormat.parse(text, mask: try string(1) ?? "DD-MON-RR") else {
                throw OracleException(number: 1861, message: "literal does not match format string")
            }
            return .date(seconds, zoneOffset: nil)
        case "RAWTOHEX": return try Conversions.bytes(v.first ?? .null).map { .string(Conversions.hex($0)) } ?? .null
        case "HEXTORAW": return try Conversions.coerce(v.first ?? .null, to: .raw(nil))
        case "REGEXP_REPLACE", "REGEXP_SUBSTR", "REGEXP_INSTR", "REGEXP_LIKE", "REGEXP_COUNT":
            return try regexp(name, v)
        case "EMPTY_CLOB": return .null
        default: return nil
        }
    }

    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }

    static func instr(_ text: [Unicode.Scalar], _ search: [Unicode.Scalar], _ position: Int, _ occurrence: Int) -> Int {
        guard !search.isEmpty, position != 0, occurrence >= 1, search.count <= text.count else { return 0 }
        var found = 0
        let starts: [Int] = position > 0
            ? Array(stride(from: position - 1, through: text.count - search.count, by: 1))
            : Array(stride(from: min(text.count + position, text.count - search.count), through: 0, by: -1))
        for start in starts where start >= 0 && Array(text[start..<start + search.count]) == search {
            found += 1
            if found == occurrence { return start + 1 }
        }
        return 0
    }

    func regexp(_ name: String, _ v: [Value]) throws(OracleException) -> Value {
        guard let text = try self.text(v, 0), let pattern = try self.text(v, 1) else { return name == "REGEXP_LIKE" ? .boolean(false) : .null }
        let flags = name == "REGEXP_LIKE" ? (try self.text(v, 2) ?? "") : ""
        guard let expression = try? NSRegularExpression(pattern: pattern, options: flags.contains("i") ? [.caseInsensitive] : []) else {
            throw OracleException(number: 12726, message: "unmatched bracket in regular expression")
        }
        let range = NSRange(text.startIndex..., in: text)
        switch name {
        case "REGEXP_LIKE": return .boolean(expression.firstMatch(in: text, range: range) != nil)
        case "REGEXP_COUNT": return .number(Double(expression.numberOfMatches(in: text, range: range)))
        case "REGEXP_REPLACE":
            let template = (try self.text(v, 2) ?? "").replacingOccurrences(of: "\\", with: "$")
            return .text(expression.stringByReplacingMatches(in: text, range: range, withTemplate: template))
        case "REGEXP_INSTR":
            guard let match = expression.firstMatch(in: text, range: range), let found = Range(match.range, in: text) else { return .number(0) }
            return .number(Double(text.distance(from: text.startIndex, to: found.lowerBound) + 1))
        default:
            let occurrence = try integer(v, 3) ?? 1
            let matches = expression.matches(in: text, range: range)
            guard occurrence >= 1, occurrence <= matches.count, let found = Range(matches[occurrence - 1].range, in: text) else { return .null }
            return .text(String(text[found]))
        }
    }

    // MARK: - Packages

    func callPackage(_ package: String, _ member: String, _ arguments: [Argument], _ scope: Scope, statement: Bool, line: Int) throws(OracleException) -> Value? {
        switch package {
        case "UTL_SMTP": return try utlSMTP(member, arguments, scope, statement: statement, line: line)
        case "STANDARD":
            guard let value = try builtin(member, arguments.isEmpty ? nil : arguments, scope, line: line) else { break }
            return value
        case "DBMS_OUTPUT":
            let v = try values(arguments, scope)
            switch member {
            case "PUT_LINE":
                if outputEnabled { host.output(outputLine + (try text(v, 0) ?? "")) }
                outputLine = ""
                return nil
            case "PUT":
                if outputEnabled { outputLine += try text(v, 0) ?? "" }
                return nil
            case "NEW_LINE":
                if outputEnabled { host.output(outputLine) }
                outputLine = ""
                return nil
            case "ENABLE": outputEnabled = true; return nil
            case "DISABLE": outputEnabled = false; return nil
            default: break
            }
        case "UTL_TCP":
            if member == "CRLF" { return .string("\r\n") }
        case "UTL_RAW":
            let v = try values(arguments, scope)
            switch member {
            case "CAST_TO_RAW": return try text(v, 0).map { .raw(Array($0.utf8)) } ?? .null
            case "CAST_TO_VARCHAR2":
                guard let bytes = try Conversions.bytes(v.first ?? .null) else { return .null }
                return .text(String(decoding: bytes, as: UTF8.self))
            case "CONCAT":
                var bytes: [UInt8] = []
                for value in v { bytes += try Conversions.bytes(value) ?? [] }
                return bytes.isEmpty ? .null : .raw(bytes)
            case "LENGTH": return try Conversions.bytes(v.first ?? .null).map { .number(Double($0.count)) } ?? .null
            default: break
            }
        case "UTL_ENCODE":
            let v = try values(arguments, scope)
            guard let value = v.first else { break }
            let bytes: [UInt8]
            if case .raw(let raw) = value { bytes = raw } else { bytes = try Conversions.bytes(try Conversions.coerce(value, to: .raw(nil))) ?? [] }
            switch member {
            case "BASE64_ENCODE":
                // Oracle breaks the encoding into lines of 64 characters with CRLF.
                let encoded = Array(Base64.encode(bytes).utf8)
                var output: [UInt8] = []
                for (index, byte) in encoded.enumerated() {
                    if index > 0, index % 64 == 0 { output += [13, 10] }
                    output.append(byte)
                }
                return output.isEmpty ? .null : .raw(output)
            case "BASE64_DECODE":
                let text = String(decoding: bytes.filter { $0 != 13 && $0 != 10 }, as: UTF8.self)
                guard let decoded = Base64.decode(text) else { throw OracleException(number: 29261, message: "bad argument") }
                return .raw(decoded)
            default: break
            }
        case "DBMS_UTILITY":
            switch member {
            case "FORMAT_ERROR_STACK": return .text(handling.last.map { $0.sqlerrm + "\n" } ?? "")
            case "FORMAT_ERROR_BACKTRACE":
                guard let current = handling.last else { return .null }
                let frames = (current.pendingLine.map { ["at line \($0)"] } ?? []) + current.frames
                return .text(frames.map { "ORA-06512: " + $0 + "\n" }.joined())
            case "FORMAT_CALL_STACK": return .null
            case "GET_TIME": return .number((now.seconds * 100).rounded(.down).truncatingRemainder(dividingBy: 4_294_967_296))
            default: break
            }
        case "DBMS_NETWORK_ACL_ADMIN":
            host.note("DBMS_NETWORK_ACL_ADMIN.\(member) skipped: smtp-repl has no database ACL (the library's NetworkACL plays that part)")
            return statement ? nil : .null
        case "DBMS_LOB":
            let v = try values(arguments, scope)
            switch member {
            case "GETLENGTH": return try text(v, 0).map { .number(Double($0.unicodeScalars.count)) } ?? .null
            case "SUBSTR":
                guard let text = try text(v, 0) else { return .null }
                let amount = try integer(v, 1) ?? 32767, offset = try integer(v, 2) ?? 1
                let characters = Array(text.unicodeScalars)
                guard offset >= 1, offset <= characters.count else { return .null }
                return .text(Self.string(characters[(offset - 1)..<min(characters.count, offset - 1 + amount)]))
            default: break
            }
        default: break
        }
        throw OracleException(number: 6550, message: "line \(line), column 1:\nPLS-00302: component '\(member)' must be declared (\(package).\(member) is not one smtp-repl runs)")
    }
}

/// NumberFormat reads `TO_CHAR(n, '…')` masks: `9`, `0`, `.`, `,`, `FM`, `X`.
enum NumberFormat {
    static func format(_ number: Double, mask rawMask: String) -> String {
        var mask = rawMask.uppercased()
        let fill = !mask.hasPrefix("FM")
        if !fill { mask.removeFirst(2) }
        if mask.contains("X"), mask.allSatisfy({ $0 == "X" || $0 == "0" }) {
            let text = String(Int(number), radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, mask.count - text.count)) + text
        }
        let parts = mask.split(separator: ".", omittingEmptySubsequences: false)
        let integerMask = Array(parts[0]), fractionMask = parts.count > 1 ? Array(parts[1]) : []
        let scale = fractionMask.count
        let factor = Conversions.pow10(scale)
        let rounded = (abs(number) * factor).rounded(.toNearestOrAwayFromZero) / factor
        let whole = Int(rounded.rounded(.towardZero))
        var digits = Array(String(whole))
        let slots = integerMask.filter { $0 == "9" || $0 == "0" }.count
        guard digits.count <= slots else { return String(repeating: "#", count: rawMask.count + 1) }
        let zeroFrom = integerMask.filter { $0 == "9" || $0 == "0" }.firstIndex(of: "0").map { slots - $0 } ?? (whole == 0 && scale == 0 ? 1 : 0)
        while digits.count < max(zeroFrom, 0) { digits.insert("0", at: 0) }
        if whole == 0 && digits == ["0"] && scale > 0 && zeroFrom == 0 { digits = [] }
        var output: [Character] = []
        var remaining = digits.count
        var slot = slots
        for character in integerMask {
            if character == "9" || character == "0" {
                if slot <= digits.count { output.append(digits[digits.count - remaining]); remaining -= 1 } else if fill { output.append(" ") }
                slot -= 1
            } else if character == "," || character == "G" {
                if output.contains(where: { $0.isNumber }) { output.append(",") } else if fill { output.append(" ") }
            }
        }
        var text = String(output)
        if scale > 0 {
            let fraction = Int(((rounded - Double(whole)) * factor).rounded())
            let fractionText = String(fraction)
            text += "." + String(repeating: "0", count: max(0, scale - fractionText.count)) + fractionText
        }
        if !fill { text = text.trimmingCharacters(in: .whitespaces) }
        let sign = number < 0 ? "-" : (fill ? " " : "")
        if let firstDigit = text.firstIndex(where: { $0 != " " }) { text.insert(contentsOf: sign, at: firstDigit) } else { text = sign + text }
        return text
    }
}
