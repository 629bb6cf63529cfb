import Foundation

/// JSONProblem says in plain words why a JSON file did not decode: where its syntax breaks
/// (line and column), or which key is missing or has a value of the wrong kind. No Swift type
/// names: the reader is the person who edited the file, not the programmer who wrote the type.
enum JSONProblem {
    /// What is wrong with `bytes`, given the error a `JSONDecoder` threw for them.
    static func describe(_ error: Error, in bytes: [UInt8]) -> String {
        guard let error = error as? DecodingError else { return "it cannot be read as JSON" }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return syntax(bytes)
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)) has a value that is not allowed here"
        case .keyNotFound(let key, let context):
            let within = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "missing key \"\(key.stringValue)\"\(within)"
        case .typeMismatch(let type, let context):
            let place = context.codingPath.isEmpty ? "the top level" : path(context.codingPath)
            return "\(place) should be \(kind(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null; it should be \(kind(type))"
        @unknown default:
            return "it is not in the expected form"
        }
    }

    /// Where the syntax breaks: `not valid JSON at line 3, column 11` (the column counts bytes).
    static func syntax(_ bytes: [UInt8]) -> String {
        guard !bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return "the file is empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            if detail.localizedCaseInsensitiveContains("end of file") { return "not valid JSON (it ends too early)" }
            // Foundation says "… around character N." with N a byte offset from 0.
            if let range = detail.range(of: "character "),
                let offset = Int(detail[range.upperBound...].prefix { $0.isNumber }), offset <= bytes.count
            {
                let before = bytes[..<offset]
                let line = before.filter { $0 == 0x0A }.count + 1
                let column = offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
                return "not valid JSON at line \(line), column \(column)"
            }
        }
        return "not valid JSON"
    }

    /// `hosts[0].port`, `certificates.AB:CD:….renewal`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == "Index \(index)" || key.stringValue == String(index) {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "the top level" : "\"\(text)\""
    }

    /// The JSON kind a Swift type decodes from.
    static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Double.Type, is Int64.Type, is UInt8.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "a list" }
            return "an object"
        }
    }
}
