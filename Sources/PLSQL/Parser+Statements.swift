extension Parser {
    /// Words that start SQL, which runs in a database smtp-repl does not have.
    static let sqlWords: Set<String> = ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "OPEN", "FETCH", "CLOSE", "LOCK", "WITH"]

    /// Statements up to (not including) one of `terminators`.
    mutating func statements(until terminators: Set<String>) throws(PLSQLSyntaxError) -> [Statement] {
        var result: [Statement] = []
        while true {
            if let word = current.word, terminators.contains(word) { break }
            guard current.kind != .end else { throw error("expected \(terminators.sorted().joined(separator: " or ")) before the end of the block") }
            if let statement = try statement() { result.append(statement) }
        }
        return result
    }

    /// One statement with its `;`; nil for one that does nothing here (COMMIT).
    mutating func statement() throws(PLSQLSyntaxError) -> Statement? {
        let start = line
        var label: String?
        if acceptSymbol("<<") {
            label = try identifier("as a label")
            try expectSymbol(">>", "after the label")
            if isWord("DECLARE") || isWord("BEGIN") || isWord("FOR") || isWord("WHILE") || isWord("LOOP") {} else { return nil }
        }
        guard let word = current.word else {
            if case .bind = current.kind { return try assignmentOrCall(start) }
            throw error("unexpected \(current.shown) where a statement should start")
        }
        switch word {
        case "IF":
            advance()
            var branches: [(Expression, [Statement])] = []
            var otherwise: [Statement]?
            repeat {
                let condition = try expression()
                try expect("THEN", "after the IF condition")
                branches.append((condition, try statements(until: ["ELSIF", "ELSE", "END"])))
            } while accept("ELSIF")
            if accept("ELSE") { otherwise = try statements(until: ["END"]) }
            try expect("END", "to close the IF of line \(start)")
            try expect("IF", "after END")
            try expectSymbol(";", "after END IF")
            return Statement(kind: .ifThen(branches, otherwise: otherwise), line: start)
        case "CASE":
            advance()
            let selector: Expression? = isWord("WHEN") ? nil : try expression()
            var branches: [(Expression, [Statement])] = []
            while accept("WHEN") {
                let value = try expression()
                try expect("THEN", "after WHEN")
                branches.append((value, try statements(until: ["WHEN", "ELSE", "END"])))
            }
            var otherwise: [Statement]?
            if accept("ELSE") { otherwise = try statements(until: ["END"]) }
            try expect("END", "to close the CASE of line \(start)")
            try expect("CASE", "after END")
            _ = try? identifier("")
            try expectSymbol(";", "after END CASE")
            return Statement(kind: .caseOf(selector, branches, otherwise: otherwise), line: start)
        case "FOR":
            advance()
            let variable = try identifier("of the FOR loop")
            try expect("IN", "in the FOR loop")
            if isSymbol("(") || peekWord() == "SELECT" {
                throw error("a cursor FOR loop runs SQL, which smtp-repl does not; loop over a collection or give the values with --var")
            }
            let reverse = accept("REVERSE")
            let low = try expression()
            guard acceptSymbol("..") else { throw error("a FOR loop over a cursor runs SQL, which smtp-repl does not; use FOR i IN a .. b") }
            let high = try expression()
            let body = try loopBody(start)
            return Statement(kind: .forLoop(variable: variable, low: low, high: high, reverse: reverse, body: body, label: label), line: start)
        case "WHILE":
            advance()
            let condition = try expression()
            return Statement(kind: .whileLoop(condition, body: try loopBody(start), label: label), line: start)
        case "LOOP":
            return Statement(kind: .loop(try loopBody(start), label: label), line: start)
        case "EXIT", "CONTINUE":
            advance()
            var target: String?
            if let name = current.word, name != "WHEN" { target = name; advance() }
            var condition: Expression?
            if accept("WHEN") { condition = try expression() }
            try expectSymbol(";", "after \(word)")
            return Statement(kind: word == "EXIT" ? .exit(label: target, when: condition) : .continueLoop(label: target, when: condition), line: start)
        case "NULL":
            advance()
            try expectSymbol(";", "after NULL")
            return Statement(kind: .null, line: start)
        case "RAISE":
            advance()
            var reference: Reference?
            if !isSymbol(";") {
                var name = try identifier("of the exception")
                var selectors: [Reference.Selector] = []
                while acceptSymbol(".") { selectors.append(.field(try identifier("of the exception"))) }
                if name == "" { name = "?" }
                reference = Reference(name: name, selectors: selectors, line: start)
            }
            try expectSymbol(";", "after RAISE")
            return Statement(kind: .raise(reference), line: start)
        case "RETURN":
            advance()
            let value: Expression? = isSymbol(";") ? nil : try expression()
            try expectSymbol(";", "after RETURN")
            return Statement(kind: .returnValue(value), line: start)
        case "GOTO":
            throw error("GOTO is not supported by smtp-repl's PL/SQL; use IF, EXIT or a nested block")
        case "DECLARE", "BEGIN":
            let block = try labelledBlock()
            try expectSymbol(";", "after END")
            return Statement(kind: .block(block), line: start)
        case "COMMIT", "ROLLBACK", "SAVEPOINT":
            while !isSymbol(";") && current.kind != .end { advance() }
            try expectSymbol(";", "after \(word)")
            return nil
        case "EXECUTE":
            throw error("EXECUTE IMMEDIATE (dynamic SQL) is outside what smtp-repl runs; give the values with --var NAME=VALUE")
        default:
            if Self.sqlWords.contains(word) && !isSymbol(".", 1) && !isSymbol(":=", 1) && !isSymbol("(", 1) {
                throw error("SQL inside a block (\(word) …) is not run by smtp-repl: there is no database; give the values with --var NAME=VALUE and use &NAME or :NAME in the code")
            }
            return try assignmentOrCall(start)
        }
    }

    mutating func loopBody(_ start: Int) throws(PLSQLSyntaxError) -> [Statement] {
        try expect("LOOP", "to start the loop body")
        let body = try statements(until: ["END"])
        try expect("END", "to close the loop of line \(start)")
        try expect("LOOP", "after END")
        if current.word != nil { advance() }
        try expectSymbol(";", "after END LOOP")
        return body
    }

    mutating func assignmentOrCall(_ start: Int) throws(PLSQLSyntaxError) -> Statement {
        let target = try primary()
        if acceptSymbol(":=") {
            switch target {
            case .reference, .bind: break
            default: throw PLSQLSyntaxError(line: start, "only a variable can be assigned to")
            }
            let value = try expression()
            try expectSymbol(";", "after the assignment")
            return Statement(kind: .assign(target, value), line: start)
        }
        guard case .reference(let reference) = target else { throw PLSQLSyntaxError(line: start, "expected a statement, found an expression") }
        if isSymbol("=") { throw error("= compares; := assigns") }
        try expectSymbol(";", "after the call to \(reference.name)")
        return Statement(kind: .call(reference), line: start)
    }

    // MARK: - Expressions

    /// An expression: OR, AND, NOT, comparisons, `||` `+` `-`, `*` `/`, `**`, unary, primaries.
    mutating func expression() throws(PLSQLSyntaxError) -> Expression {
        var left = try conjunction()
        while accept("OR") { left = .binary("OR", left, try conjunction()) }
        return left
    }

    mutating func conjunction() throws(PLSQLSyntaxError) -> Expression {
        var left = try negation()
        while accept("AND") { left = .binary("AND", left, try negation()) }
        return left
    }

    mutating func negation() throws(PLSQLSyntaxError) -> Expression {
        if accept("NOT") { return .unary("NOT", try negation()) }
        return try comparison()
    }

    mutating func comparison() throws(PLSQLSyntaxError) -> Expression {
        let left = try additive()
        for symbol in ["=", "!=", "<>", "<=", ">=", "<", ">"] where acceptSymbol(symbol) {
            return .binary(symbol == "<>" ? "!=" : symbol, left, try additive())
        }
        if accept("IS") {
            let negated = accept("NOT")
            try expect("NULL", "after IS")
            return .isNull(left, negated: negated)
        }
        let negated = accept("NOT")
        if accept("IN") {
            try expectSymbol("(", "after IN")
            var items: [Expression] = []
            repeat { items.append(try expression()) } while acceptSymbol(",")
            try expectSymbol(")", "to close IN (…)")
            return .inList(left, items, negated: negated)
        }
        if accept("BETWEEN") {
            let low = try additive()
            try expect("AND", "in BETWEEN")
            return .between(left, low, try additive(), negated: negated)
        }
        if accept("LIKE") {
            let pattern = Expression.binary("LIKE", left, try additive())
            return negated ? .unary("NOT", pattern) : pattern
        }
        if negated { throw error("expected IN, BETWEEN or LIKE after NOT") }
        return left
    }

    mutating func additive() throws(PLSQLSyntaxError) -> Expression {
        var left = try multiplicative()
        while true {
            if acceptSymbol("||") { left = .binary("||", left, try multiplicative()) }
            else if acceptSymbol("+") { left = .binary("+", left, try multiplicative()) }
            else if acceptSymbol("-") { left = .binary("-", left, try multiplicative()) }
            else { return left }
        }
    }

    mutating func multiplicative() throws(PLSQLSyntaxError) -> Expression {
        var left = try power()
        while true {
            if acceptSymbol("*") { left = .binary("*", left, try power()) }
            else if acceptSymbol("/") { left = .binary("/", left, try power()) }
            else if accept("MOD") { left = .binary("MOD", left, try power()) }
            else { return left }
        }
    }

    mutating func power() throws(PLSQLSyntaxError) -> Expression {
        let base = try unary()
        if acceptSymbol("**") { return .binary("**", base, try unary()) }
        return base
    }

    mutating func unary() throws(PLSQLSyntaxError) -> Expression {
        if acceptSymbol("-") { return .unary("-", try unary()) }
        if acceptSymbol("+") { return try unary() }
        return try primary()
    }

    mutating func primary() throws(PLSQLSyntaxError) -> Expression {
        let start = line
        switch current.kind {
        case .string(let text):
            advance()
            return .literal(text.isEmpty ? .null : .string(text))
        case .number(let text):
            advance()
            guard let number = Double(text) else { throw PLSQLSyntaxError(line: start, "bad number \(text)") }
            return .literal(.number(number))
        case .bind(let name):
            advance()
            return .bind(name)
        case .symbol("("):
            advance()
            let inner = try expression()
            try expectSymbol(")", "to close (")
            return inner
        case .word(let word):
            switch word {
            case "NULL": advance(); return .literal(.null)
            case "TRUE": advance(); return .literal(.boolean(true))
            case "FALSE": advance(); return .literal(.boolean(false))
            case "CASE":
                advance()
                let selector: Expression? = isWord("WHEN") ? nil : try expression()
                var branches: [(Expression, Expression)] = []
                while accept("WHEN") {
                    let condition = try expression()
                    try expect("THEN", "after WHEN")
                    branches.append((condition, try expression()))
                }
                var otherwise: Expression?
                if accept("ELSE") { otherwise = try expression() }
                try expect("END", "to close CASE")
                return .caseOf(selector, branches, otherwise)
            case "DATE", "TIMESTAMP":
                if case .string(let text) = tokens[position + 1].kind {
                    advance()
                    advance()
                    return .reference(Reference(name: "TO_DATE", selectors: [.arguments([Argument(name: nil, value: .literal(.string(text))),
                        Argument(name: nil, value: .literal(.string(word == "DATE" ? "YYYY-MM-DD" : "YYYY-MM-DD HH24:MI:SS")))])], line: start))
                }
            case "SELECT":
                throw error("SQL inside a block (SELECT …) is not run by smtp-repl: there is no database; give the values with --var NAME=VALUE and use &NAME or :NAME in the code")
            default: break
            }
            return .reference(try reference())
        case .quotedWord:
            return .reference(try reference())
        default:
            throw error("expected a value, found \(current.shown)")
        }
    }

    /// `name(.name | (args))*`.
    mutating func reference() throws(PLSQLSyntaxError) -> Reference {
        let start = line
        let name = try identifier("")
        var selectors: [Reference.Selector] = []
        while true {
            if isSymbol(".") && !isSymbol("..") {
                advance()
                selectors.append(.field(try identifier("after .")))
            } else if isSymbol("(") {
                advance()
                var arguments: [Argument] = []
                if !isSymbol(")") {
                    repeat {
                        var argumentName: String?
                        if current.word != nil || { if case .quotedWord = current.kind { return true }; return false }(), isSymbol("=>", 1) {
                            argumentName = try identifier("")
                            advance()
                        }
                        arguments.append(Argument(name: argumentName, value: try expression()))
                    } while acceptSymbol(",")
                }
                try expectSymbol(")", "to close the arguments of \(name)")
                selectors.append(.arguments(arguments))
            } else if isSymbol("%") {
                advance()
                let attribute = try identifier("after %")
                selectors.append(.field("%" + attribute))
            } else {
                return Reference(name: name, selectors: selectors, line: start)
            }
        }
    }
}
