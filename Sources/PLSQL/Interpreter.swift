import SMTPConversation

/// Variable is a declared variable, parameter or constant.
final class Variable {
    var value: Value
    let type: PLType
    let constant: Bool
    let notNull: Bool
    init(value: Value, type: PLType, constant: Bool = false, notNull: Bool = false) {
        self.value = value
        self.type = type
        self.constant = constant
        self.notNull = notNull
    }
}

/// DeclaredException is an exception declared in a block (`e EXCEPTION`).
final class DeclaredException {
    let name: String
    var number: Int?
    init(name: String) { self.name = name }
}

/// RoutineBinding is a routine with the scope it was declared in (which its body sees) and the
/// unit name its `ORA-06512` frames carry (nil inside an anonymous block).
struct RoutineBinding {
    let routine: Routine
    let scope: Scope
    let unitName: String?
}

/// Scope holds one block's names.
final class Scope {
    let parent: Scope?
    /// The stored unit this scope belongs to (`"SCOTT.SEND_MAIL"`), for frames.
    let unitName: String?
    var variables: [String: Variable] = [:]
    var exceptions: [String: DeclaredException] = [:]
    var types: [String: PLType] = [:]
    var routines: [String: RoutineBinding] = [:]

    init(parent: Scope?, unitName: String? = nil) {
        self.parent = parent
        self.unitName = unitName ?? parent?.unitName
    }

    func variable(_ name: String) -> Variable? { variables[name] ?? parent?.variable(name) }
    func exception(_ name: String) -> DeclaredException? { exceptions[name] ?? parent?.exception(name) }
    func type(_ name: String) -> PLType? { types[name] ?? parent?.type(name) }
    func routine(_ name: String) -> RoutineBinding? { routines[name] ?? parent?.routine(name) }
}

/// Flow is how a statement ended.
enum Flow {
    case normal
    case exit(String?)
    case continueLoop(String?)
    case returned(Value?)
}

/// Interpreter runs PL/SQL units with Oracle's semantics. It has no I/O: DBMS_OUTPUT, the
/// clock and every UTL_SMTP call go through its `PLSQLHost`.
public final class Interpreter {
    let host: PLSQLHost
    /// `:NAME` bind variables (from `--var NAME=VALUE`).
    public var binds: [String: Value]
    let globals = Scope(parent: nil)
    /// The packages created so far: each one's scope holds its variables and routines.
    var packages: [String: Scope] = [:]
    /// The exceptions being handled, innermost last (SQLCODE, SQLERRM, `RAISE;`).
    var handling: [OracleException] = []
    /// DBMS_OUTPUT.PUT's line so far.
    var outputLine = ""
    var outputEnabled = true
    var depth = 0
    /// The last SMTP reply a UTL_SMTP call returned, for the report of an unhandled exception.
    public internal(set) var lastReply: Reply?
    /// The last 4xx/5xx reply, which an unhandled exception's report explains.
    public internal(set) var lastFailure: Reply?

    /// Creates an interpreter talking through `host`.
    public init(host: PLSQLHost, binds: [String: String] = [:]) {
        self.host = host
        self.binds = binds.mapValues { Value.text($0) }
    }

    /// Runs one unit: an anonymous block runs; a `CREATE OR REPLACE` routine is defined for the
    /// units after it. An unhandled exception is thrown with its `ORA-06512` frames.
    public func run(_ unit: Unit) throws(OracleException) {
        switch unit {
        case .routine(let routine):
            globals.routines[routine.name] = RoutineBinding(routine: routine, scope: globals, unitName: routine.qualifiedName)
            host.note("\(routine.returnType == nil ? "Procedure" : "Function") \(routine.qualifiedName) created.")
        case .block(let block, _):
            do {
                _ = try run(block, parent: globals)
            } catch {
                var error = error
                if let line = error.pendingLine { error.frames.append("at line \(line)") }
                error.pendingLine = nil
                throw error
            }
            flushOutput()
        case .package(let package):
            let scope = packages[package.name] ?? Scope(parent: globals, unitName: (package.schema.map { $0 + "." } ?? "") + package.name)
            packages[package.name] = scope
            do {
                try declare(package.declarations, in: scope)
                _ = try execute(package.initialisation, scope)
            } catch {
                var error = error
                if let line = error.pendingLine { error.frames.append("at \"\(scope.unitName ?? package.name)\", line \(line)") }
                error.pendingLine = nil
                throw error
            }
            host.note("Package \(package.isBody ? "body " : "")\(scope.unitName ?? package.name) created.")
        case .skipped(let text, _):
            host.note(text)
        case .prompt(let text, _):
            host.output(text)
        case .exit:
            break
        }
    }

    /// Prints what DBMS_OUTPUT.PUT left without a line end.
    public func flushOutput() {
        if !outputLine.isEmpty {
            host.output(outputLine)
            outputLine = ""
        }
    }

    // MARK: - Blocks

    func run(_ block: Block, parent: Scope) throws(OracleException) -> Flow {
        let scope = Scope(parent: parent)
        // An exception in the declarations goes to the enclosing block, as in Oracle.
        try declare(block.declarations, in: scope)
        do {
            return try execute(block.body, scope)
        } catch {
            guard let handler = try handler(for: error, in: block.handlers, scope: scope) else { throw error }
            handling.append(error)
            defer { handling.removeLast() }
            return try execute(handler.body, scope)
        }
    }

    func handler(for error: OracleException, in handlers: [Handler], scope: Scope) throws(OracleException) -> Handler? {
        for handler in handlers {
            for name in handler.names where try matches(error, name, scope: scope, line: handler.line) { return handler }
        }
        return nil
    }

    func matches(_ error: OracleException, _ path: [String], scope: Scope, line: Int) throws(OracleException) -> Bool {
        if path == ["OTHERS"] { return true }
        if path.count == 1, let declared = scope.exception(path[0]) {
            if error.identity == ObjectIdentifier(declared) { return true }
            if let number = declared.number { return error.number == -number }
            return false
        }
        let name = path.last!
        let package = path.count > 1 ? path[path.count - 2] : "STANDARD"
        guard let (number, _) = OracleException.predefined[name],
            ["STANDARD", "UTL_SMTP", "UTL_TCP"].contains(package) || (package == "SYS" && path.count == 2)
        else {
            throw Self.undeclared(path.joined(separator: "."), line: line)
        }
        return error.identity == nil && error.number == number
    }

    static func undeclared(_ name: String, line: Int) -> OracleException {
        var error = OracleException(number: 6550, message: "line \(line), column 1:\nPLS-00201: identifier '\(name)' must be declared")
        error.pendingLine = line
        return error
    }

    // MARK: - Declarations

    func declare(_ declarations: [Declaration], in scope: Scope) throws(OracleException) {
        for declaration in declarations {
            switch declaration {
            case .variable(let name, let spec, let constant, let notNull, let initial, let line):
                do throws(OracleException) {
                    let type = try resolve(spec, scope)
                    var value = type.initial
                    if let initial { value = try Conversions.coerce(try evaluate(initial, scope), to: type) }
                    if notNull, value.isNull { throw OracleException.valueError("NULL assigned to \(name), declared NOT NULL") }
                    scope.variables[name] = Variable(value: value, type: type, constant: constant, notNull: notNull)
                } catch {
                    var error = error
                    if error.pendingLine == nil { error.pendingLine = line }
                    throw error
                }
            case .exception(let name, _):
                scope.exceptions[name] = DeclaredException(name: name)
            case .exceptionInit(let name, let code, let line):
                guard let declared = scope.exceptions[name] else { throw Self.undeclared(name, line: line) }
                declared.number = code
            case .recordType(let name, let fields, _):
                var resolved: [(String, PLType)] = []
                for (field, spec) in fields { resolved.append((field, try resolve(spec, scope))) }
                scope.types[name] = .record(name, resolved)
            case .tableType(let name, let element, _):
                scope.types[name] = .table(name, try resolve(element, scope))
            case .subtype(let name, let spec, _):
                scope.types[name] = try resolve(spec, scope)
            case .routine(let routine):
                scope.routines[routine.name] = RoutineBinding(routine: routine, scope: scope, unitName: scope.unitName)
            }
        }
    }

    /// The type a declaration names.
    func resolve(_ spec: TypeSpec, _ scope: Scope) throws(OracleException) -> PLType {
        var name = spec.name
        if name.first == "SYS", name.count > 1 { name.removeFirst() }
        if spec.percentType {
            guard let variable = scope.variable(name[0]) else { throw Self.undeclared(name.joined(separator: "."), line: spec.line) }
            var type = variable.type
            for field in name.dropFirst() {
                guard case .record(_, let fields) = type, let found = fields.first(where: { $0.0 == field }) else {
                    throw Self.undeclared(name.joined(separator: "."), line: spec.line)
                }
                type = found.1
            }
            return type
        }
        if name.count == 1, let local = scope.type(name[0]) { return local }
        let size = spec.size.first
        switch name.joined(separator: ".") {
        case "VARCHAR2", "VARCHAR", "STRING", "NVARCHAR2": return .varchar2(size ?? 32767)
        case "LONG": return .varchar2(32760)
        case "CHAR", "NCHAR", "CHARACTER": return .char(size ?? 1)
        case "CLOB", "NCLOB": return .clob
        case "NUMBER", "NUMERIC", "DECIMAL", "DEC":
            return .number(scale: spec.size.count > 1 ? spec.size[1] : (spec.size.count == 1 ? 0 : nil))
        case "FLOAT", "REAL", "DOUBLE", "BINARY_DOUBLE", "BINARY_FLOAT": return .number(scale: nil)
        case "INTEGER", "INT", "SMALLINT", "PLS_INTEGER", "BINARY_INTEGER", "NATURAL", "NATURALN", "POSITIVE", "POSITIVEN",
            "SIMPLE_INTEGER", "SIGNTYPE":
            return .integer
        case "BOOLEAN": return .boolean
        case "DATE", "TIMESTAMP": return .date
        case "RAW": return .raw(size ?? 32767)
        case "BLOB": return .raw(nil)
        case "UTL_SMTP.CONNECTION": return UTLSMTP.connectionType
        case "UTL_SMTP.REPLY": return UTLSMTP.replyType
        case "UTL_SMTP.REPLIES": return UTLSMTP.repliesType
        case "ODCIVARCHAR2LIST", "DBMS_SQL.VARCHAR2_TABLE", "DBMS_UTILITY.MAXNAME_ARRAY", "APEX_T_VARCHAR2":
            return .table(name.joined(separator: "."), .varchar2(32767))
        default:
            throw Self.undeclared(name.joined(separator: "."), line: spec.line)
        }
    }

    // MARK: - Statements

    func execute(_ statements: [Statement], _ scope: Scope) throws(OracleException) -> Flow {
        for statement in statements {
            let flow = try execute(statement, scope)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    func execute(_ statement: Statement, _ scope: Scope) throws(OracleException) -> Flow {
        do {
            return try perform(statement, scope)
        } catch {
            var error = error
            if error.pendingLine == nil { error.pendingLine = statement.line }
            throw error
        }
    }

    func condition(_ expression: Expression, _ scope: Scope) throws(OracleException) -> Bool {
        try Conversions.boolean(try evaluate(expression, scope)) ?? false
    }

    private func perform(_ statement: Statement, _ scope: Scope) throws(OracleException) -> Flow {
        switch statement.kind {
        case .assign(let target, let value):
            try assign(target, try evaluate(value, scope), scope)
        case .call(let reference):
            try callStatement(reference, scope)
        case .ifThen(let branches, let otherwise):
            for (test, body) in branches where try condition(test, scope) { return try execute(body, scope) }
            if let otherwise { return try execute(otherwise, scope) }
        case .caseOf(let selector, let branches, let otherwise):
            let subject = try selector.map { (expression) throws(OracleException) -> Value in try evaluate(expression, scope) }
            for (test, body) in branches {
                let hit: Bool
                if let subject { hit = try compare(subject, try evaluate(test, scope)) == 0 } else { hit = try condition(test, scope) }
                if hit { return try execute(body, scope) }
            }
            guard let otherwise else { throw OracleException.named("CASE_NOT_FOUND") }
            return try execute(otherwise, scope)
        case .forLoop(let name, let low, let high, let reverse, let body, let label):
            guard let from = try Conversions.number(try evaluate(low, scope)), let to = try Conversions.number(try evaluate(high, scope)) else {
                throw OracleException.valueError("NULL index table key value")
            }
            let first = Int(from.rounded(.toNearestOrAwayFromZero)), last = Int(to.rounded(.toNearestOrAwayFromZero))
            guard first <= last else { return .normal }
            let loopScope = Scope(parent: scope)
            let index = Variable(value: .null, type: .integer, constant: true)
            loopScope.variables[name] = index
            for value in reverse ? Array(stride(from: last, through: first, by: -1)) : Array(first...last) {
                index.value = .number(Double(value))
                switch try execute(body, loopScope) {
                case .normal: continue
                case .exit(let target) where target == nil || target == label: return .normal
                case .continueLoop(let target) where target == nil || target == label: continue
                case let other: return other
                }
            }
        case .whileLoop(let test, let body, let label):
            while try condition(test, scope) {
                switch try execute(body, scope) {
                case .normal: continue
                case .exit(let target) where target == nil || target == label: return .normal
                case .continueLoop(let target) where target == nil || target == label: continue
                case let other: return other
                }
            }
        case .loop(let body, let label):
            while true {
                switch try execute(body, scope) {
                case .normal: continue
                case .exit(let target) where target == nil || target == label: return .normal
                case .continueLoop(let target) where target == nil || target == label: continue
                case let other: return other
                }
            }
        case .exit(let label, let when):
            if let when, try !condition(when, scope) { return .normal }
            return .exit(label)
        case .continueLoop(let label, let when):
            if let when, try !condition(when, scope) { return .normal }
            return .continueLoop(label)
        case .null:
            break
        case .raise(let reference):
            guard let reference else {
                guard var current = handling.last else {
                    throw OracleException(number: 6550, message: "PLS-00367: a RAISE statement with no exception name must be inside an exception handler")
                }
                current.pendingLine = nil
                throw current
            }
            throw try raising(reference, scope)
        case .returnValue(let value):
            return .returned(try value.map { (expression) throws(OracleException) -> Value in try evaluate(expression, scope) })
        case .block(let block):
            return try run(block, parent: scope)
        }
        return .normal
    }

    /// The exception `RAISE name` raises.
    func raising(_ reference: Reference, _ scope: Scope) throws(OracleException) -> OracleException {
        let path = [reference.name] + reference.selectors.compactMap { if case .field(let name) = $0 { return name } else { return nil } }
        if path.count == 1, let declared = scope.exception(path[0]) {
            var error = OracleException(number: declared.number.map { -$0 } ?? 0, message: "")
            error.identity = ObjectIdentifier(declared)
            error.declaredName = declared.name
            return error
        }
        let name = path.last!
        guard OracleException.predefined[name] != nil else { throw Self.undeclared(path.joined(separator: "."), line: reference.line) }
        return OracleException.named(name)
    }

    // MARK: - Routines

    /// Calls a procedure or function defined in the script.
    func call(_ binding: RoutineBinding, _ arguments: [Argument], _ caller: Scope, line: Int) throws(OracleException) -> Value? {
        let routine = binding.routine
        depth += 1
        defer { depth -= 1 }
        guard depth < 256 else { throw OracleException(number: 6500, message: "PL/SQL: storage error (recursion too deep)") }
        let local = Scope(parent: binding.scope, unitName: binding.unitName)
        var positional = arguments.filter { $0.name == nil }.map(\.value)
        var named: [String: Expression] = [:]
        for argument in arguments { if let name = argument.name { named[name] = argument.value } }
        guard positional.count <= routine.parameters.count,
            named.keys.allSatisfy({ key in routine.parameters.contains { $0.name == key } })
        else {
            throw OracleException(number: 6550, message: "PLS-00306: wrong number or types of arguments in call to '\(routine.name)'")
        }
        var outputs: [(Parameter, Expression)] = []
        for parameter in routine.parameters {
            let type = try resolve(parameter.type, binding.scope)
            let given = positional.isEmpty ? named[parameter.name] : positional.removeFirst()
            var value = type.initial
            if let given {
                if parameter.mode != .input { outputs.append((parameter, given)) }
                if parameter.mode != .output { value = try Conversions.coerce(try evaluate(given, caller), to: type) }
            } else if let fallback = parameter.defaultValue {
                value = try Conversions.coerce(try evaluate(fallback, local), to: type)
            } else {
                throw OracleException(number: 6550, message: "PLS-00306: wrong number or types of arguments in call to '\(routine.name)' (\(parameter.name) is not given)")
            }
            local.variables[parameter.name] = Variable(value: value, type: type, constant: parameter.mode == .input)
        }
        let flow: Flow
        do {
            flow = try run(routine.body, parent: local)
        } catch {
            var error = error
            let where_ = binding.unitName.map { "at \"\($0)\", line " } ?? "at line "
            if let pending = error.pendingLine { error.frames.append(where_ + String(pending)) }
            error.pendingLine = nil
            throw error
        }
        for (parameter, target) in outputs { try assign(target, local.variables[parameter.name]!.value, caller) }
        guard let returnType = routine.returnType else { return nil }
        guard case .returned(let value?) = flow else {
            throw OracleException(number: 6503, message: "PL/SQL: Function returned without value")
        }
        return try Conversions.coerce(value, to: try resolve(returnType, binding.scope))
    }
}
