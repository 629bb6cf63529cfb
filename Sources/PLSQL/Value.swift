/// Value is a PL/SQL value. The empty string is NULL, as in Oracle.
public enum Value: Sendable {
    /// NULL.
    case null
    /// VARCHAR2, CHAR, CLOB.
    case string(String)
    /// NUMBER, PLS_INTEGER, …
    case number(Double)
    /// BOOLEAN.
    case boolean(Bool)
    /// DATE and TIMESTAMP: seconds since 1970-01-01 00:00:00 of the local wall clock, and the
    /// zone offset in seconds for a TIMESTAMP WITH TIME ZONE.
    case date(Double, zoneOffset: Int?)
    /// RAW.
    case raw([UInt8])
    /// A record (`UTL_SMTP.reply`, `UTL_SMTP.connection`, `TYPE … IS RECORD`).
    case record(Record)
    /// A collection (`UTL_SMTP.replies`, `TYPE … IS TABLE OF`).
    case collection(Collection)

    /// A string value; the empty string is NULL.
    public static func text(_ string: String) -> Value { string.isEmpty ? .null : .string(string) }

    /// True for NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// Record is a record value: its type's name and its fields in declaration order.
public struct Record: Sendable {
    /// The type's name (`UTL_SMTP.REPLY`).
    public var typeName: String
    /// The fields, upper-cased names.
    public var fields: [(name: String, value: Value)]

    /// Creates a record.
    public init(typeName: String, fields: [(name: String, value: Value)]) {
        self.typeName = typeName
        self.fields = fields
    }

    /// A field's value; nil when the record has no such field.
    public subscript(name: String) -> Value? {
        get { fields.first { $0.name == name }?.value }
        set {
            guard let index = fields.firstIndex(where: { $0.name == name }), let newValue else { return }
            fields[index].value = newValue
        }
    }
}

/// Collection is an associative array, nested table or varray, indexed by integers or strings.
public struct Collection: Sendable {
    /// Key is an index: PLS_INTEGER or VARCHAR2.
    public enum Key: Hashable, Comparable, Sendable {
        case number(Int)
        case text(String)
    }
    /// The type's name.
    public var typeName: String
    /// The elements.
    public var elements: [Key: Value] = [:]

    /// Creates an empty collection.
    public init(typeName: String) { self.typeName = typeName }

    /// The keys in order.
    public var keys: [Key] { elements.keys.sorted() }
}

/// PLType is a declared type, resolved.
public indirect enum PLType: Sendable {
    /// VARCHAR2(n), VARCHAR, STRING, NVARCHAR2, LONG: at most n bytes.
    case varchar2(Int?)
    /// CHAR(n): blank-padded to n.
    case char(Int)
    /// CLOB.
    case clob
    /// NUMBER(p, s), FLOAT, …: s digits after the point when given.
    case number(scale: Int?)
    /// PLS_INTEGER, BINARY_INTEGER, INTEGER, NATURAL, …: rounded to an integer.
    case integer
    /// BOOLEAN.
    case boolean
    /// DATE, TIMESTAMP.
    case date
    /// RAW(n).
    case raw(Int?)
    /// A record type with its fields.
    case record(String, [(String, PLType)])
    /// A collection type with its element type.
    case table(String, PLType)

    /// The value a variable of this type starts with.
    public var initial: Value {
        switch self {
        case .record(let name, let fields): return .record(Record(typeName: name, fields: fields.map { ($0.0, $0.1.initial) }))
        case .table(let name, _): return .collection(Collection(typeName: name))
        default: return .null
        }
    }

    /// The type's name in messages.
    public var name: String {
        switch self {
        case .varchar2(let size): return "VARCHAR2" + (size.map { "(\($0))" } ?? "")
        case .char(let size): return "CHAR(\(size))"
        case .clob: return "CLOB"
        case .number: return "NUMBER"
        case .integer: return "PLS_INTEGER"
        case .boolean: return "BOOLEAN"
        case .date: return "DATE"
        case .raw: return "RAW"
        case .record(let name, _), .table(let name, _): return name
        }
    }
}
