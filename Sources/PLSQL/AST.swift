/// TypeSpec is a declared type as written: `VARCHAR2(100)`, `NUMBER(10,2)`, `UTL_SMTP.reply`,
/// `l_text%TYPE`; the interpreter resolves it against the scope it is declared in.
public struct TypeSpec: Sendable, Equatable {
    /// The type's name, dotted parts upper-cased (`["UTL_SMTP", "CONNECTION"]`).
    public var name: [String]
    /// `(n)` or `(p, s)`.
    public var size: [Int] = []
    /// `%TYPE` of the named variable.
    public var percentType = false
    /// The line it was written on.
    public var line: Int
}

/// Argument is one argument of a call: positional, or named with `=>`.
public struct Argument: Sendable {
    /// The parameter name given with `=>`, upper-cased.
    public var name: String?
    /// The value.
    public var value: Expression
}

/// Expression is a PL/SQL expression.
public indirect enum Expression: Sendable {
    /// A literal.
    case literal(Value)
    /// A name with its selectors: `l_reply.code`, `l_replies(i).text`, `UTL_SMTP.ehlo(c, 'x')`,
    /// `SYSDATE`, `l_list.COUNT`.
    case reference(Reference)
    /// `:NAME`.
    case bind(String)
    /// A binary operator (`+ - * / ** || = != < > <= >= AND OR LIKE`).
    case binary(String, Expression, Expression)
    /// `-x`, `+x`, `NOT x`.
    case unary(String, Expression)
    /// `x IS [NOT] NULL`.
    case isNull(Expression, negated: Bool)
    /// `x [NOT] IN (a, b)`.
    case inList(Expression, [Expression], negated: Bool)
    /// `x [NOT] BETWEEN a AND b`.
    case between(Expression, Expression, Expression, negated: Bool)
    /// `CASE [selector] WHEN … THEN … [ELSE …] END`.
    case caseOf(Expression?, [(Expression, Expression)], Expression?)
}

/// Reference is a dotted name followed by calls, subscripts and fields, in source order.
public struct Reference: Sendable {
    /// Selector is one step after the first name.
    public enum Selector: Sendable {
        /// `.NAME`
        case field(String)
        /// `(args)`: a call or a subscript.
        case arguments([Argument])
    }
    /// The first name.
    public var name: String
    /// What follows it.
    public var selectors: [Selector]
    /// The line it was written on.
    public var line: Int
}

/// Statement is one PL/SQL statement with its line.
public struct Statement: Sendable {
    /// Kind is what the statement does.
    public indirect enum Kind: Sendable {
        /// `target := value`.
        case assign(Expression, Expression)
        /// A procedure call.
        case call(Reference)
        /// `IF … ELSIF … ELSE … END IF`.
        case ifThen([(Expression, [Statement])], otherwise: [Statement]?)
        /// `CASE … END CASE`.
        case caseOf(Expression?, [(Expression, [Statement])], otherwise: [Statement]?)
        /// `FOR i IN [REVERSE] a .. b LOOP`.
        case forLoop(variable: String, low: Expression, high: Expression, reverse: Bool, body: [Statement], label: String?)
        /// `WHILE c LOOP`.
        case whileLoop(Expression, body: [Statement], label: String?)
        /// `LOOP … END LOOP`.
        case loop([Statement], label: String?)
        /// `EXIT [label] [WHEN c]`.
        case exit(label: String?, when: Expression?)
        /// `CONTINUE [label] [WHEN c]`.
        case continueLoop(label: String?, when: Expression?)
        /// `NULL;`.
        case null
        /// `RAISE [name]`.
        case raise(Reference?)
        /// `RETURN [value]`.
        case returnValue(Expression?)
        /// A nested block.
        case block(Block)
    }
    /// What the statement does.
    public var kind: Kind
    /// The line it starts on.
    public var line: Int
}

/// Parameter is one formal parameter of a procedure or function.
public struct Parameter: Sendable {
    /// Mode is how a value passes.
    public enum Mode: Sendable { case input, output, inputOutput }
    /// The name, upper-cased.
    public var name: String
    /// How it passes.
    public var mode: Mode
    /// Its type.
    public var type: TypeSpec
    /// `DEFAULT x` or `:= x`.
    public var defaultValue: Expression?
}

/// Routine is a procedure or function: `CREATE OR REPLACE …`, or declared in a block.
public final class Routine: @unchecked Sendable {
    /// The name, upper-cased, schema removed.
    public let name: String
    /// The schema when the name was qualified (`SCOTT` in `scott.send_mail`).
    public let schema: String?
    /// The formal parameters.
    public let parameters: [Parameter]
    /// The function's return type; nil for a procedure.
    public let returnType: TypeSpec?
    /// The body.
    public let body: Block
    /// The line it starts on.
    public let line: Int

    /// Creates a routine.
    public init(name: String, schema: String?, parameters: [Parameter], returnType: TypeSpec?, body: Block, line: Int) {
        self.name = name
        self.schema = schema
        self.parameters = parameters
        self.returnType = returnType
        self.body = body
        self.line = line
    }

    /// How Oracle names it in `ORA-06512: at "SCHEMA.NAME", line N`.
    public var qualifiedName: String { (schema.map { $0 + "." } ?? "") + name }
}

/// Declaration is one item of a block's declarative part.
public enum Declaration: Sendable {
    /// `name [CONSTANT] type [NOT NULL] [:= | DEFAULT value]`.
    case variable(name: String, type: TypeSpec, constant: Bool, notNull: Bool, value: Expression?, line: Int)
    /// `name EXCEPTION`.
    case exception(name: String, line: Int)
    /// `PRAGMA EXCEPTION_INIT(name, code)`.
    case exceptionInit(name: String, code: Int, line: Int)
    /// `TYPE name IS RECORD (…)`.
    case recordType(name: String, fields: [(String, TypeSpec)], line: Int)
    /// `TYPE name IS TABLE OF t [INDEX BY …]` or `VARRAY(n) OF t`.
    case tableType(name: String, element: TypeSpec, line: Int)
    /// `SUBTYPE name IS type`.
    case subtype(name: String, type: TypeSpec, line: Int)
    /// A nested procedure or function.
    case routine(Routine)
}

/// Handler is one `WHEN a OR b THEN …` of an exception section.
public struct Handler: Sendable {
    /// The exception names (`OTHERS`, `NO_DATA_FOUND`, `UTL_SMTP.TRANSIENT_ERROR`, a declared one).
    public var names: [[String]]
    /// What runs.
    public var body: [Statement]
    /// The line of `WHEN`.
    public var line: Int
}

/// Block is `[DECLARE …] BEGIN … [EXCEPTION …] END`.
public struct Block: Sendable {
    /// The declarations.
    public var declarations: [Declaration]
    /// The statements.
    public var body: [Statement]
    /// The handlers.
    public var handlers: [Handler]
    /// The line of `BEGIN` (or `DECLARE`).
    public var line: Int
}

/// Unit is one thing a SQL*Plus script does.
public enum Unit: Sendable {
    /// An anonymous block (also `EXEC`'s).
    case block(Block, line: Int)
    /// `CREATE OR REPLACE PROCEDURE|FUNCTION`.
    case routine(Routine)
    /// `CREATE OR REPLACE PACKAGE [BODY] name`: its declarations (and a body's initialisation).
    case package(PackageUnit)
    /// A SQL statement or SQL*Plus command that is skipped, with a note.
    case skipped(String, line: Int)
    /// `PROMPT text`.
    case prompt(String, line: Int)
    /// `EXIT` / `QUIT`.
    case exit(line: Int)
}

/// PackageUnit is a package specification or body.
public struct PackageUnit: Sendable {
    /// The name, upper-cased, schema removed.
    public var name: String
    /// The schema when the name was qualified.
    public var schema: String?
    /// True for `PACKAGE BODY`.
    public var isBody: Bool
    /// Its declarations: variables, constants, types, exceptions, procedures, functions.
    public var declarations: [Declaration]
    /// A body's `BEGIN …` initialisation, run when the body is created.
    public var initialisation: [Statement]
    /// The line it starts on.
    public var line: Int
}
