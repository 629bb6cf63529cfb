/// Parser reads one PL/SQL unit (an anonymous block or `CREATE OR REPLACE PROCEDURE|FUNCTION`)
/// from tokens into the AST. It refuses, with the line, what the interpreter does not run:
/// SQL inside a block, cursors, `GOTO`, dynamic SQL.
public struct Parser {
    var tokens: [PLSQLToken]
    var position = 0

    /// Creates a parser over the tokens of one unit (ending with `.end`).
    public init(tokens: [PLSQLToken]) {
        self.tokens = tokens
    }

    /// Parses `source` (whose first line is `firstLine`) as one unit.
    public static func unit(_ source: String, firstLine: Int) throws(PLSQLSyntaxError) -> Unit {
        var parser = Parser(tokens: try Scanner.tokens(source, firstLine: firstLine))
        return try parser.unit()
    }

    // MARK: - Tokens

    var current: PLSQLToken { tokens[position] }
    var line: Int { tokens[position].line }

    func peekWord(_ offset: Int = 0) -> String? {
        position + offset < tokens.count ? tokens[position + offset].word : nil
    }

    func isSymbol(_ symbol: String, _ offset: Int = 0) -> Bool {
        position + offset < tokens.count && tokens[position + offset].kind == .symbol(symbol)
    }

    func isWord(_ word: String) -> Bool { current.word == word }

    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    mutating func accept(_ word: String) -> Bool {
        guard isWord(word) else { return false }
        advance()
        return true
    }

    mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        advance()
        return true
    }

    // The contexts are autoclosures: a message is built only when it is thrown (parsing a large
    // package calls these hundreds of thousands of times).
    mutating func expect(_ word: String, _ context: @autoclosure () -> String) throws(PLSQLSyntaxError) {
        guard accept(word) else { throw error("expected \(word) \(context()), found \(current.shown)") }
    }

    mutating func expectSymbol(_ symbol: String, _ context: @autoclosure () -> String) throws(PLSQLSyntaxError) {
        guard acceptSymbol(symbol) else { throw error("expected \(symbol) \(context()), found \(current.shown)") }
    }

    func error(_ message: String) -> PLSQLSyntaxError { PLSQLSyntaxError(line: line, message) }

    /// An identifier (a quoted one keeps its case).
    mutating func identifier(_ context: @autoclosure () -> String) throws(PLSQLSyntaxError) -> String {
        switch current.kind {
        case .word(let word):
            advance()
            return word
        case .quotedWord(let word):
            advance()
            return word
        default:
            throw error("expected a name \(context()), found \(current.shown)")
        }
    }

    // MARK: - Units

    mutating func unit() throws(PLSQLSyntaxError) -> Unit {
        let start = line
        if accept("CREATE") {
            if accept("OR") { try expect("REPLACE", "after CREATE OR") }
            _ = accept("EDITIONABLE") || accept("NONEDITIONABLE")
            if accept("PACKAGE") { return .package(try package(line: start)) }
            guard let kind = current.word, kind == "PROCEDURE" || kind == "FUNCTION" else {
                throw error("CREATE \(current.shown) is outside what smtp-repl runs: CREATE [OR REPLACE] PROCEDURE, FUNCTION or PACKAGE, and anonymous blocks")
            }
            advance()
            let routine = try routine(isFunction: kind == "FUNCTION", line: start, topLevel: true)
            _ = acceptSymbol(";")
            try expectEnd()
            return .routine(routine)
        }
        let block = try labelledBlock()
        _ = acceptSymbol(";")
        try expectEnd()
        return .block(block, line: start)
    }

    /// `PACKAGE [BODY] name IS|AS declarations [BEGIN statements] END [name]`.
    mutating func package(line start: Int) throws(PLSQLSyntaxError) -> PackageUnit {
        let isBody = accept("BODY")
        var name = try identifier("of the package")
        var schema: String?
        if acceptSymbol(".") {
            schema = name
            name = try identifier("of the package")
        }
        if accept("AUTHID") { advance() }
        guard accept("IS") || accept("AS") else { throw error("expected IS or AS after PACKAGE \(name), found \(current.shown)") }
        let declarations = try self.declarations(until: ["BEGIN", "END"])
        var initialisation: [Statement] = []
        if accept("BEGIN") { initialisation = try statements(until: ["END"]) }
        try expect("END", "to close PACKAGE \(name)")
        if current.word != nil { advance() }
        _ = acceptSymbol(";")
        try expectEnd()
        return PackageUnit(name: name, schema: schema, isBody: isBody, declarations: declarations, initialisation: initialisation, line: start)
    }

    mutating func expectEnd() throws(PLSQLSyntaxError) {
        guard current.kind == .end else {
            throw error("unexpected \(current.shown) after the end of the block (a missing / line between two blocks?)")
        }
    }

    mutating func labelledBlock() throws(PLSQLSyntaxError) -> Block {
        if acceptSymbol("<<") {
            _ = try identifier("as a label")
            try expectSymbol(">>", "after the label")
        }
        let start = line
        var declarations: [Declaration] = []
        if accept("DECLARE") { declarations = try self.declarations() }
        return try blockBody(declarations: declarations, line: start)
    }

    /// `BEGIN … [EXCEPTION …] END [name]` after the declarations.
    mutating func blockBody(declarations: [Declaration], line start: Int) throws(PLSQLSyntaxError) -> Block {
        try expect("BEGIN", "to start the block's statements")
        let body = try statements(until: ["EXCEPTION", "END"])
        var handlers: [Handler] = []
        if accept("EXCEPTION") {
            while isWord("WHEN") {
                let handlerLine = line
                advance()
                var names: [[String]] = []
                repeat {
                    var name = [try identifier("of an exception")]
                    while acceptSymbol(".") { name.append(try identifier("of an exception")) }
                    names.append(name)
                } while accept("OR")
                try expect("THEN", "after WHEN \(names.map { $0.joined(separator: ".") }.joined(separator: " OR "))")
                handlers.append(Handler(names: names, body: try statements(until: ["WHEN", "END"]), line: handlerLine))
            }
            guard !handlers.isEmpty else { throw error("EXCEPTION needs at least one WHEN … THEN") }
        }
        try expect("END", "to close the block that starts at line \(start)")
        if case .word(let word) = current.kind, !["IF", "LOOP", "CASE"].contains(word) { advance() }
        return Block(declarations: declarations, body: body, handlers: handlers, line: start)
    }

    /// `name [(parameters)] [RETURN type] … IS|AS declarations BEGIN … END`.
    mutating func routine(isFunction: Bool, line start: Int, topLevel: Bool) throws(PLSQLSyntaxError) -> Routine {
        var name = try identifier("of the \(isFunction ? "function" : "procedure")")
        var schema: String?
        if acceptSymbol(".") {
            schema = name
            name = try identifier("of the \(isFunction ? "function" : "procedure")")
        }
        var parameters: [Parameter] = []
        if acceptSymbol("(") {
            repeat {
                let parameterName = try identifier("of a parameter")
                var mode = Parameter.Mode.input
                if accept("IN") { mode = accept("OUT") ? .inputOutput : .input } else if accept("OUT") { mode = .output }
                _ = accept("NOCOPY")
                let type = try typeSpec()
                var value: Expression?
                if accept("DEFAULT") || acceptSymbol(":=") { value = try expression() }
                parameters.append(Parameter(name: parameterName, mode: mode, type: type, defaultValue: value))
            } while acceptSymbol(",")
            try expectSymbol(")", "to close the parameter list")
        }
        var returnType: TypeSpec?
        if isFunction {
            try expect("RETURN", "in a function's heading")
            returnType = try typeSpec()
        }
        while let word = current.word, ["AUTHID", "DETERMINISTIC", "PARALLEL_ENABLE", "RESULT_CACHE", "PIPELINED", "ACCESSIBLE"].contains(word) {
            advance()
            if word == "AUTHID" || word == "ACCESSIBLE" { advance() }
            if word == "ACCESSIBLE" { try skipParenthesised() }
        }
        guard accept("IS") || accept("AS") else {
            if !topLevel, isSymbol(";") {
                // A forward declaration: the body comes later in the same declarations.
                return Routine(name: name, schema: schema, parameters: parameters, returnType: returnType,
                               body: Block(declarations: [], body: [], handlers: [], line: start), line: -1)
            }
            throw error("expected IS or AS before the body of \(name), found \(current.shown)")
        }
        if accept("LANGUAGE") || accept("EXTERNAL") { throw error("external routines (LANGUAGE …) are outside what smtp-repl runs") }
        let declarations = try self.declarations()
        let body = try blockBody(declarations: declarations, line: start)
        return Routine(name: name, schema: schema, parameters: parameters, returnType: returnType, body: body, line: start)
    }

    mutating func skipParenthesised() throws(PLSQLSyntaxError) {
        guard acceptSymbol("(") else { return }
        var depth = 1
        while depth > 0 {
            if current.kind == .end { throw error("unclosed (") }
            if isSymbol("(") { depth += 1 }
            if isSymbol(")") { depth -= 1 }
            advance()
        }
    }

    // MARK: - Declarations

    mutating func declarations(until terminators: Set<String> = ["BEGIN"]) throws(PLSQLSyntaxError) -> [Declaration] {
        var result: [Declaration] = []
        while !terminators.contains(current.word ?? "") {
            let start = line
            guard current.kind != .end else { throw error("expected \(terminators.sorted().joined(separator: " or ")) after the declarations") }
            if let word = current.word, word == "PROCEDURE" || word == "FUNCTION" {
                advance()
                let routine = try routine(isFunction: word == "FUNCTION", line: start, topLevel: false)
                try expectSymbol(";", "after \(routine.name)")
                if routine.line >= 0 { result.append(.routine(routine)) }
                continue
            }
            if accept("CURSOR") { throw PLSQLSyntaxError(line: start, "cursors run SQL, which smtp-repl does not; give the values with --var NAME=VALUE (&NAME or :NAME in the code)") }
            if accept("PRAGMA") {
                let pragma = try identifier("after PRAGMA")
                if pragma == "EXCEPTION_INIT" {
                    try expectSymbol("(", "after EXCEPTION_INIT")
                    let name = try identifier("of the exception")
                    try expectSymbol(",", "in EXCEPTION_INIT")
                    let negative = acceptSymbol("-")
                    guard case .number(let text) = current.kind, let number = Int(text) else { throw error("EXCEPTION_INIT needs an error number") }
                    advance()
                    try expectSymbol(")", "to close EXCEPTION_INIT")
                    result.append(.exceptionInit(name: name, code: negative ? -number : number, line: start))
                } else {
                    try skipParenthesised()
                }
                try expectSymbol(";", "after the PRAGMA")
                continue
            }
            if accept("TYPE") || accept("SUBTYPE") {
                let name = try identifier("of the type")
                try expect("IS", "in TYPE \(name)")
                if accept("RECORD") {
                    try expectSymbol("(", "after RECORD")
                    var fields: [(String, TypeSpec)] = []
                    repeat {
                        let field = try identifier("of a field")
                        fields.append((field, try typeSpec()))
                        if accept("NOT") { try expect("NULL", "after NOT") }
                        if accept("DEFAULT") || acceptSymbol(":=") { _ = try expression() }
                    } while acceptSymbol(",")
                    try expectSymbol(")", "to close the RECORD")
                    result.append(.recordType(name: name, fields: fields, line: start))
                } else if accept("TABLE") || accept("VARRAY") || accept("VARYING") {
                    if accept("ARRAY") {}
                    try skipParenthesised()
                    try expect("OF", "in the collection type \(name)")
                    let element = try typeSpec()
                    if accept("NOT") { try expect("NULL", "after NOT") }
                    if accept("INDEX") {
                        try expect("BY", "after INDEX")
                        _ = try typeSpec()
                    }
                    result.append(.tableType(name: name, element: element, line: start))
                } else if accept("REF") {
                    throw PLSQLSyntaxError(line: start, "REF CURSOR types run SQL, which smtp-repl does not")
                } else {
                    // SUBTYPE name IS type: a record of one name for another.
                    let type = try typeSpec()
                    if accept("NOT") { try expect("NULL", "after NOT") }
                    result.append(.subtype(name: name, type: type, line: start))
                }
                try expectSymbol(";", "after TYPE \(name)")
                continue
            }
            let name = try identifier("of a declaration")
            if accept("EXCEPTION") {
                try expectSymbol(";", "after \(name) EXCEPTION")
                result.append(.exception(name: name, line: start))
                continue
            }
            let constant = accept("CONSTANT")
            let type = try typeSpec()
            if type.name.last == "ROWTYPE" { throw PLSQLSyntaxError(line: start, "%ROWTYPE needs a table, which smtp-repl does not have; declare the fields instead") }
            var notNull = false
            if accept("NOT") {
                try expect("NULL", "after NOT")
                notNull = true
            }
            var value: Expression?
            if accept("DEFAULT") || acceptSymbol(":=") { value = try expression() }
            if constant && value == nil { throw PLSQLSyntaxError(line: start, "constant \(name) needs a value (:= …)") }
            try expectSymbol(";", "after the declaration of \(name)")
            result.append(.variable(name: name, type: type, constant: constant, notNull: notNull, value: value, line: start))
        }
        return result
    }

    /// `VARCHAR2(100 CHAR)`, `NUMBER(10,2)`, `UTL_SMTP.connection`, `x%TYPE`, `TIMESTAMP WITH TIME ZONE`.
    mutating func typeSpec() throws(PLSQLSyntaxError) -> TypeSpec {
        let start = line
        var name = [try identifier("of a type")]
        while acceptSymbol(".") { name.append(try identifier("of a type")) }
        if name == ["LONG"] || name == ["DOUBLE"] { if let next = current.word, next == "RAW" || next == "PRECISION" { advance() } }
        var spec = TypeSpec(name: name, line: start)
        if acceptSymbol("%") {
            let attribute = try identifier("after %")
            if attribute == "ROWTYPE" { spec.name.append("ROWTYPE") } else if attribute == "TYPE" { spec.percentType = true } else {
                throw error("unknown attribute %\(attribute)")
            }
            return spec
        }
        if acceptSymbol("(") {
            repeat {
                let negative = acceptSymbol("-")
                if acceptSymbol("*") { spec.size.append(38); continue }
                guard case .number(let text) = current.kind, let number = Int(text) else { throw error("expected a size in \(name.joined(separator: "."))(…)") }
                advance()
                spec.size.append(negative ? -number : number)
                _ = accept("BYTE") || accept("CHAR")
            } while acceptSymbol(",")
            try expectSymbol(")", "to close the size of \(name.joined(separator: "."))")
        }
        if name.last == "TIMESTAMP" || name.last == "INTERVAL", accept("WITH") {
            _ = accept("LOCAL")
            try expect("TIME", "in TIMESTAMP WITH TIME ZONE")
            try expect("ZONE", "in TIMESTAMP WITH TIME ZONE")
        }
        return spec
    }
}
