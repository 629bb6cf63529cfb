import Foundation

extension Interpreter {
    /// The packages whose members are called as `PACKAGE.MEMBER`.
    static let packages: Set<String> = ["UTL_SMTP", "DBMS_OUTPUT", "UTL_TCP", "UTL_RAW", "UTL_ENCODE", "DBMS_UTILITY",
                                        "DBMS_NETWORK_ACL_ADMIN", "STANDARD", "DBMS_LOB"]

    func evaluate(_ expression: Expression, _ scope: Scope) throws(OracleException) -> Value {
        switch expression {
        case .literal(let value):
            return value
        case .bind(let name):
            guard let value = binds[name] else {
                throw OracleException(number: 1008, message: "not all variables bound (:\(name): give --var \(name)=VALUE)")
            }
            return value
        case .reference(let reference):
            guard let value = try resolve(reference, scope, statement: false) else {
                throw OracleException(number: 6550, message: "PLS-00222: no function with name '\(reference.name)' exists in this scope (\(reference.name) is a procedure)")
            }
            return value
        case .unary(let op, let operand):
            let value = try evaluate(operand, scope)
            if op == "NOT" { return try Conversions.boolean(value).map { .boolean(!$0) } ?? .null }
            return try Conversions.number(value).map { .number(-$0) } ?? .null
        case .binary(let op, let left, let right):
            return try binary(op, left, right, scope)
        case .isNull(let operand, let negated):
            let value = try evaluate(operand, scope)
            var null = value.isNull
            if case .collection(let collection) = value, collection.typeName == UTLSMTP.repliesName { null = false }
            return .boolean(null != negated)
        case .inList(let operand, let items, let negated):
            let value = try evaluate(operand, scope)
            if value.isNull { return .null }
            var sawNull = false
            for item in items {
                let candidate = try evaluate(item, scope)
                if candidate.isNull { sawNull = true; continue }
                if try compare(value, candidate) == 0 { return .boolean(!negated) }
            }
            return sawNull ? .null : .boolean(negated)
        case .between(let operand, let low, let high, let negated):
            let value = try evaluate(operand, scope), from = try evaluate(low, scope), to = try evaluate(high, scope)
            guard let lower = try compare(value, from), let upper = try compare(value, to) else { return .null }
            return .boolean((lower >= 0 && upper <= 0) != negated)
        case .caseOf(let selector, let branches, let otherwise):
            let subject = try selector.map { (expression) throws(OracleException) -> Value in try evaluate(expression, scope) }
            for (test, result) in branches {
                let hit: Bool
                if let subject { hit = try compare(subject, try evaluate(test, scope)) == 0 } else { hit = try condition(test, scope) }
                if hit { return try evaluate(result, scope) }
            }
            return try otherwise.map { (expression) throws(OracleException) -> Value in try evaluate(expression, scope) } ?? .null
        }
    }

    func binary(_ op: String, _ left: Expression, _ right: Expression, _ scope: Scope) throws(OracleException) -> Value {
        switch op {
        case "AND":
            let a = try Conversions.boolean(try evaluate(left, scope))
            if a == false { return .boolean(false) }
            let b = try Conversions.boolean(try evaluate(right, scope))
            if b == false { return .boolean(false) }
            return a == true && b == true ? .boolean(true) : .null
        case "OR":
            let a = try Conversions.boolean(try evaluate(left, scope))
            if a == true { return .boolean(true) }
            let b = try Conversions.boolean(try evaluate(right, scope))
            if b == true { return .boolean(true) }
            return a == false && b == false ? .boolean(false) : .null
        default: break
        }
        let a = try evaluate(left, scope), b = try evaluate(right, scope)
        switch op {
        case "||":
            if case .raw(let x) = a, case .raw(let y) = b { return .raw(x + y) }
            return .text((try Conversions.text(a) ?? "") + (try Conversions.text(b) ?? ""))
        case "=", "!=", "<", ">", "<=", ">=":
            guard let order = try compare(a, b) else { return .null }
            switch op {
            case "=": return .boolean(order == 0)
            case "!=": return .boolean(order != 0)
            case "<": return .boolean(order < 0)
            case ">": return .boolean(order > 0)
            case "<=": return .boolean(order <= 0)
            default: return .boolean(order >= 0)
            }
        case "LIKE":
            guard let text = try Conversions.text(a), let pattern = try Conversions.text(b) else { return .null }
            return .boolean(Self.like(Array(text), Array(pattern)))
        default:
            if case .date(let seconds, let zone) = a, let days = try Conversions.number(b), op == "+" || op == "-" {
                return .date(seconds + (op == "+" ? days : -days) * 86400, zoneOffset: zone)
            }
            if case .date(let x, _) = a, case .date(let y, _) = b, op == "-" { return .number((x - y) / 86400) }
            guard let x = try Conversions.number(a), let y = try Conversions.number(b) else { return .null }
            switch op {
            case "+": return .number(x + y)
            case "-": return .number(x - y)
            case "*": return .number(x * y)
            case "/":
                guard y != 0 else { throw OracleException.named("ZERO_DIVIDE") }
                return .number(x / y)
            case "**": return .number(pow(x, y))
            case "MOD": return .number(y == 0 ? x : x - y * (x / y).rounded(.towardZero))
            default: throw OracleException(number: 6550, message: "unknown operator \(op)")
            }
        }
    }

    /// Oracle's comparison: nil when either side is NULL; numbers numerically, text as text,
    /// a number against text after converting the text.
    func compare(_ a: Value, _ b: Value) throws(OracleException) -> Int? {
        if a.isNull || b.isNull { return nil }
        switch (a, b) {
        case (.number(let x), _):
            guard let y = try Conversions.number(b) else { return nil }
            return x < y ? -1 : x > y ? 1 : 0
        case (_, .number(let y)):
            guard let x = try Conversions.number(a) else { return nil }
            return x < y ? -1 : x > y ? 1 : 0
        case (.boolean(let x), .boolean(let y)):
            return x == y ? 0 : (x ? 1 : -1)
        case (.date(let x, _), .date(let y, _)):
            return x < y ? -1 : x > y ? 1 : 0
        case (.raw(let x), .raw(let y)):
            return x == y ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
        default:
            guard let x = try Conversions.text(a), let y = try Conversions.text(b) else { return nil }
            // Oracle compares bytes (binary collation).
            return x == y ? 0 : (Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8)) ? -1 : 1)
        }
    }

    static func like(_ text: [Character], _ pattern: [Character]) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        if first == "%" {
            let rest = Array(pattern.dropFirst())
            for start in 0...text.count where like(Array(text[start...]), rest) { return true }
            return false
        }
        guard let head = text.first, first == "_" || first == head else { return false }
        return like(Array(text.dropFirst()), Array(pattern.dropFirst()))
    }

    // MARK: - References

    /// Evaluates a reference; `statement` is true for a call statement (the procedure form).
    /// Returns nil for a procedure call.
    func resolve(_ reference: Reference, _ scope: Scope, statement: Bool, arguments argumentScope: Scope? = nil) throws(OracleException) -> Value? {
        let name = reference.name
        var selectors = reference.selectors[...]
        if let variable = scope.variable(name) {
            if statement { throw OracleException(number: 6550, message: "PLS-00221: '\(name)' is not a procedure or is undefined") }
            return try select(variable.value, selectors, scope)
        }
        if let binding = scope.routine(name) {
            var arguments: [Argument] = []
            if case .arguments(let given)? = selectors.first {
                arguments = given
                selectors.removeFirst()
            }
            let result = try call(binding, arguments, argumentScope ?? scope, line: reference.line)
            if result == nil, !statement || !selectors.isEmpty {
                throw OracleException(number: 6550, message: "PLS-00222: no function with name '\(name)' exists in this scope")
            }
            return try result.map { (value) throws(OracleException) -> Value in try select(value, selectors, scope) }
        }
        if case .table(let typeName, let element)? = scope.type(name), case .arguments(let items)? = selectors.first {
            // A collection constructor: t_list('a', 'b').
            var collection = Collection(typeName: typeName)
            for (index, item) in items.enumerated() {
                collection.elements[.number(index + 1)] = try Conversions.coerce(try evaluate(item.value, scope), to: element)
            }
            return try select(.collection(collection), selectors.dropFirst(), scope)
        }
        if case .field(let inner)? = selectors.first, let packageScope = packages[inner], packageScope.unitName == name + "." + inner {
            // schema.package.member
            return try resolve(Reference(name: inner, selectors: Array(selectors.dropFirst()), line: reference.line), scope, statement: statement)
        }
        if let packageScope = packages[name], case .field(let member)? = selectors.first {
            // A created package's member: package.variable, package.procedure(…).
            if let variable = packageScope.variables[member] {
                if statement { throw OracleException(number: 6550, message: "PLS-00221: '\(member)' is not a procedure or is undefined") }
                return try select(variable.value, selectors.dropFirst(), scope)
            }
            guard packageScope.routines[member] != nil else {
                throw OracleException(number: 6550, message: "PLS-00302: component '\(member)' must be declared")
            }
            return try resolve(Reference(name: member, selectors: Array(selectors.dropFirst()), line: reference.line), packageScope, statement: statement,
                               arguments: scope)
        }
        var package = name
        if package == "SYS", case .field(let inner)? = selectors.first, Self.packages.contains(inner) || inner == "ODCIVARCHAR2LIST" {
            package = inner
            selectors.removeFirst()
        }
        if Self.packages.contains(package), case .field(let member)? = selectors.first {
            selectors.removeFirst()
            var arguments: [Argument] = []
            if case .arguments(let given)? = selectors.first {
                arguments = given
                selectors.removeFirst()
            }
            let result = try callPackage(package, member, arguments, scope, statement: statement && selectors.isEmpty, line: reference.line)
            return try result.map { (value) throws(OracleException) -> Value in try select(value, selectors, scope) }
        }
        if case .field(let member)? = selectors.first, let binding = scope.routine(member), binding.routine.schema == name || binding.routine.schema == nil {
            // schema.routine(…)
            return try resolve(Reference(name: member, selectors: Array(selectors.dropFirst()), line: reference.line), scope, statement: statement)
        }
        if package == "ODCIVARCHAR2LIST", case .arguments(let items)? = selectors.first {
            var collection = Collection(typeName: "ODCIVARCHAR2LIST")
            for (index, item) in items.enumerated() { collection.elements[.number(index + 1)] = try evaluate(item.value, scope) }
            return try select(.collection(collection), selectors.dropFirst(), scope)
        }
        var arguments: [Argument]?
        if case .arguments(let given)? = selectors.first {
            arguments = given
            selectors.removeFirst()
        }
        guard let value = try builtin(name, arguments, scope, line: reference.line) else {
            throw Self.undeclared(([name] + reference.selectors.compactMap { if case .field(let f) = $0 { return f } else { return nil } }.prefix(1)).joined(separator: "."),
                                  line: reference.line)
        }
        if statement { throw OracleException(number: 6550, message: "PLS-00221: '\(name)' is not a procedure or is undefined") }
        return try select(value, selectors, scope)
    }

    /// Applies fields, subscripts and collection methods to a value.
    func select(_ base: Value, _ selectors: ArraySlice<Reference.Selector>, _ scope: Scope) throws(OracleException) -> Value {
        var value = base
        var rest = selectors
        while let selector = rest.first {
            rest.removeFirst()
            switch selector {
            case .field(let field):
                if case .collection(let collection) = value {
                    var argument: Value?
                    if case .arguments(let given)? = rest.first, let first = given.first {
                        argument = try evaluate(first.value, scope)
                        rest.removeFirst()
                    }
                    value = try method(field, of: collection, argument)
                    continue
                }
                guard case .record(let record) = value else {
                    if value.isNull { throw OracleException.named("ACCESS_INTO_NULL") }
                    throw OracleException(number: 6550, message: "PLS-00487: invalid reference to variable (.\(field) of \(Conversions.describe(value)))")
                }
                guard let found = record[field] else {
                    throw OracleException(number: 6550, message: "PLS-00302: component '\(field)' must be declared")
                }
                value = found
            case .arguments(let arguments):
                guard case .collection(let collection) = value, arguments.count == 1 else {
                    throw OracleException(number: 6550, message: "PLS-00222: no function with this name exists in this scope (\(Conversions.describe(value)) called)")
                }
                let key = try self.key(try evaluate(arguments[0].value, scope))
                guard let element = collection.elements[key] else { throw OracleException.named("NO_DATA_FOUND") }
                value = element
            }
        }
        return value
    }

    func key(_ value: Value) throws(OracleException) -> Collection.Key {
        switch value {
        case .number(let number): return .number(Int(number.rounded(.toNearestOrAwayFromZero)))
        case .string(let text): return Double(text).map { .number(Int($0)) } ?? .text(text)
        case .null: throw OracleException.valueError("NULL index table key value")
        default: throw OracleException.valueError("\(Conversions.describe(value)) is no index")
        }
    }

    static func keyValue(_ key: Collection.Key?) -> Value {
        switch key {
        case .number(let index)?: return .number(Double(index))
        case .text(let text)?: return .string(text)
        case nil: return .null
        }
    }

    func method(_ name: String, of collection: Collection, _ argument: Value?) throws(OracleException) -> Value {
        let keys = collection.keys
        switch name {
        case "COUNT": return .number(Double(collection.elements.count))
        case "FIRST": return Self.keyValue(keys.first)
        case "LAST": return Self.keyValue(keys.last)
        case "LIMIT": return .null
        case "EXISTS":
            guard let argument else { return .boolean(false) }
            return .boolean(collection.elements[try key(argument)] != nil)
        case "NEXT", "PRIOR":
            guard let argument else { return .null }
            let at = try key(argument)
            return Self.keyValue(name == "NEXT" ? keys.first { $0 > at } : keys.last { $0 < at })
        default:
            throw OracleException(number: 6550, message: "PLS-00302: component '\(name)' must be declared")
        }
    }

    /// A call statement: a procedure, or a collection method that changes the collection.
    func callStatement(_ reference: Reference, _ scope: Scope) throws(OracleException) {
        if let variable = scope.variable(reference.name), case .collection(var collection) = variable.value,
            case .field(let method)? = reference.selectors.first, ["EXTEND", "DELETE", "TRIM"].contains(method)
        {
            var arguments: [Value] = []
            if case .arguments(let given)? = reference.selectors.dropFirst().first {
                for argument in given { arguments.append(try evaluate(argument.value, scope)) }
            }
            let count = collection.elements.count
            switch method {
            case "EXTEND":
                let extra = try arguments.first.flatMap { (value) throws(OracleException) -> Double? in try Conversions.number(value) } ?? 1
                let last: Int
                if case .number(let index)? = collection.keys.last { last = index } else { last = 0 }
                for offset in 0..<Int(extra) { collection.elements[.number(last + offset + 1)] = .null }
            case "TRIM":
                let extra = try arguments.first.flatMap { (value) throws(OracleException) -> Double? in try Conversions.number(value) } ?? 1
                guard Int(extra) <= count else { throw OracleException.named("SUBSCRIPT_BEYOND_COUNT") }
                for key in collection.keys.suffix(Int(extra)) { collection.elements[key] = nil }
            default:
                if arguments.isEmpty { collection.elements = [:] } else {
                    let from = try key(arguments[0]), to = try arguments.count > 1 ? key(arguments[1]) : from
                    for key in collection.keys where key >= from && key <= to { collection.elements[key] = nil }
                }
            }
            variable.value = .collection(collection)
            return
        }
        _ = try resolve(reference, scope, statement: true)
    }

    // MARK: - Assignment

    func assign(_ target: Expression, _ value: Value, _ scope: Scope) throws(OracleException) {
        switch target {
        case .bind(let name):
            binds[name] = value
        case .reference(let reference):
            guard let variable = scope.variable(reference.name) else {
                throw OracleException(number: 6550, message: "PLS-00201: identifier '\(reference.name)' must be declared")
            }
            if variable.constant {
                throw OracleException(number: 6550, message: "PLS-00363: expression '\(reference.name)' cannot be used as an assignment target")
            }
            let new = try setting(variable.value, type: variable.type, reference.selectors[...], to: value, scope)
            if variable.notNull, new.isNull { throw OracleException.valueError("NULL assigned to \(reference.name), declared NOT NULL") }
            variable.value = new
        default:
            throw OracleException(number: 6550, message: "PLS-00363: expression cannot be used as an assignment target")
        }
    }

    func setting(_ base: Value, type: PLType, _ path: ArraySlice<Reference.Selector>, to value: Value, _ scope: Scope) throws(OracleException) -> Value {
        guard let step = path.first else { return try Conversions.coerce(value, to: type) }
        switch (step, type) {
        case (.field(let field), .record(_, let fields)):
            guard case .record(var record) = base.isNull ? type.initial : base, let fieldType = fields.first(where: { $0.0 == field })?.1 else {
                throw OracleException(number: 6550, message: "PLS-00302: component '\(field)' must be declared")
            }
            record[field] = try setting(record[field] ?? .null, type: fieldType, path.dropFirst(), to: value, scope)
            return .record(record)
        case (.arguments(let arguments), .table(_, let element)) where arguments.count == 1:
            guard case .collection(var collection) = base.isNull ? type.initial : base else { throw OracleException.named("COLLECTION_IS_NULL") }
            let key = try self.key(try evaluate(arguments[0].value, scope))
            let current = collection.elements[key] ?? element.initial
            collection.elements[key] = try setting(current, type: element, path.dropFirst(), to: value, scope)
            return .collection(collection)
        default:
            throw OracleException(number: 6550, message: "PLS-00363: expression cannot be used as an assignment target")
        }
    }
}
