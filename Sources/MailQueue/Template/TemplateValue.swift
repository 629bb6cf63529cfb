/// TemplateValue is a structured value given to a template: text, numbers, booleans, lists
/// and objects, so sections can loop (`{{#items}}…{{/items}}`) and test (`{{^paid}}…{{/paid}}`).
///
/// It is Codable as plain JSON (`"x"`, `1`, `true`, `[…]`, `{…}`, `null`). A null renders as
/// the empty string, as in Nablarch.
public enum TemplateValue: Sendable, Hashable, Codable {
    /// Text.
    case string(String)
    /// A number.
    case number(Double)
    /// A boolean (false and empty lists hide a section).
    case bool(Bool)
    /// A list (a section repeats for each element).
    case list([TemplateValue])
    /// An object (a section enters it; `{{a.b}}` reaches into it).
    case object([String: TemplateValue])
    /// No value: renders as the empty string.
    case null

    /// Decodes any JSON value.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([TemplateValue].self) { self = .list(value) }
        else { self = .object(try container.decode([String: TemplateValue].self)) }
    }

    /// Encodes as plain JSON.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The value as swift-mustache renders it (Foundation-free plain Swift values).
    var mustacheValue: Any {
        switch self {
        case .string(let value): return value
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): return value
        case .list(let value): return value.map(\.mustacheValue)
        case .object(let value): return value.mapValues(\.mustacheValue)
        case .null: return ""
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral {
    /// A text value from a literal.
    public init(stringLiteral value: String) { self = .string(value) }
}
