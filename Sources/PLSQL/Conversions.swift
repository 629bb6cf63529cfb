import Foundation

/// Conversions are Oracle's implicit and explicit conversions between values.
enum Conversions {
    /// A value as text (NULL is nil): numbers as Oracle prints them, dates as `DD-MON-RR`, RAW as hex.
    static func text(_ value: Value) throws(OracleException) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        case .number(let number): return format(number)
        case .boolean(let flag): return flag ? "TRUE" : "FALSE"
        case .date(let seconds, _): return DateFormat.format(seconds, zoneOffset: nil, mask: "DD-MON-RR")
        case .raw(let bytes): return hex(bytes)
        case .record(let record): throw .valueError("a record (\(record.typeName)) is not text")
        case .collection(let collection): throw .valueError("a collection (\(collection.typeName)) is not text")
        }
    }

    /// A value as a number (NULL is nil); text that is no number raises ORA-06502.
    static func number(_ value: Value) throws(OracleException) -> Double? {
        switch value {
        case .null: return nil
        case .number(let number): return number
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let number = Double(trimmed), !trimmed.lowercased().contains("n"), !trimmed.lowercased().contains("x") else {
                throw .valueError("character to number conversion error")
            }
            return number
        case .boolean: throw .valueError("a BOOLEAN is not a number")
        default: throw .valueError("\(describe(value)) is not a number")
        }
    }

    /// A value as a BOOLEAN (NULL is nil).
    static func boolean(_ value: Value) throws(OracleException) -> Bool? {
        switch value {
        case .null: return nil
        case .boolean(let flag): return flag
        case .string(let text) where text.uppercased() == "TRUE": return true
        case .string(let text) where text.uppercased() == "FALSE": return false
        default: throw .valueError("\(describe(value)) is not a BOOLEAN")
        }
    }

    /// A value as bytes: RAW as is, text as UTF-8 (NULL is nil).
    static func bytes(_ value: Value) throws(OracleException) -> [UInt8]? {
        if case .raw(let bytes) = value { return bytes }
        return try text(value).map { Array($0.utf8) }
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case .null: return "NULL"
        case .string: return "a string"
        case .number: return "a number"
        case .boolean: return "a BOOLEAN"
        case .date: return "a DATE"
        case .raw: return "a RAW"
        case .record(let record): return "a record (\(record.typeName))"
        case .collection(let collection): return "a collection (\(collection.typeName))"
        }
    }

    /// A number as Oracle prints it: `42`, `3.5`, `.5`, `-.25`.
    static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        var text = String(number)
        if text.hasPrefix("0.") { text.removeFirst() } else if text.hasPrefix("-0.") { text = "-" + text.dropFirst(2) }
        return text
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return text
    }

    /// Converts `value` for a variable, parameter or field of `type`; ORA-06502 when it does not fit.
    static func coerce(_ value: Value, to type: PLType) throws(OracleException) -> Value {
        if case .null = value {
            if case .record = type { return type.initial }
            if case .table = type { return type.initial }
            return .null
        }
        switch type {
        case .varchar2(let size):
            guard let text = try text(value) else { return .null }
            if let size, text.utf8.count > size { throw .valueError("character string buffer too small") }
            return .string(text)
        case .char(let size):
            guard let text = try text(value) else { return .null }
            if text.utf8.count > size { throw .valueError("character string buffer too small") }
            return .string(text + String(repeating: " ", count: size - text.utf8.count))
        case .clob:
            return try text(value).map { .string($0) } ?? .null
        case .number(let scale):
            guard var number = try number(value) else { return .null }
            if let scale {
                let factor = pow10(scale)
                number = (number * factor).rounded(.toNearestOrAwayFromZero) / factor
            }
            return .number(number)
        case .integer:
            guard let number = try number(value) else { return .null }
            guard abs(number) < 2_147_483_648 else { throw .valueError("number precision too large") }
            return .number(number.rounded(.toNearestOrAwayFromZero))
        case .boolean:
            return try boolean(value).map { .boolean($0) } ?? .null
        case .date:
            if case .date = value { return value }
            guard let text = try text(value) else { return .null }
            guard let seconds = DateFormat.parse(text, mask: "DD-MON-RR") else {
                throw OracleException(number: 1858, message: "a non-numeric character was found where a numeric was expected")
            }
            return .date(seconds, zoneOffset: nil)
        case .raw(let size):
            let bytes: [UInt8]
            if case .raw(let raw) = value { bytes = raw } else {
                guard let text = try text(value) else { return .null }
                guard let decoded = unhex(text) else { throw .valueError("hex to raw conversion error") }
                bytes = decoded
            }
            if let size, bytes.count > size { throw .valueError("raw variable length too long") }
            return .raw(bytes)
        case .record(let name, _):
            guard case .record(let record) = value, record.typeName == name else {
                throw OracleException(number: 6550, message: "PLS-00382: expression is of wrong type (\(describe(value)) for \(name))")
            }
            return value
        case .table(let name, _):
            guard case .collection(let collection) = value, collection.typeName == name else {
                throw OracleException(number: 6550, message: "PLS-00382: expression is of wrong type (\(describe(value)) for \(name))")
            }
            return value
        }
    }

    static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }

    static func unhex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }
}

