/// PLSQLToken is one lexical unit of PL/SQL source with the file line it starts on.
public struct PLSQLToken: Equatable, Sendable {
    /// Kind is what the token is.
    public enum Kind: Equatable, Sendable {
        /// An identifier or keyword, upper-cased (quoted identifiers keep their case).
        case word(String)
        /// A quoted identifier ("Name"), as written.
        case quotedWord(String)
        /// A string literal, quotes removed, `''` undone, `q'[…]'` read.
        case string(String)
        /// A numeric literal as written.
        case number(String)
        /// An operator or punctuation: `:=` `=>` `||` `..` `**` `<>` `!=` `<=` `>=` `(` `)` `,` `;` `.` `%` `:` `+` `-` `*` `/` `=` `<` `>` `<<` `>>` `@`.
        case symbol(String)
        /// A bind variable `:NAME`.
        case bind(String)
        /// The end of the unit.
        case end
    }

    /// What the token is.
    public var kind: Kind
    /// The 1-based line in the file.
    public var line: Int

    /// Creates a token.
    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// The word (upper-cased) when the token is an unquoted identifier or keyword.
    public var word: String? {
        if case .word(let text) = kind { return text }
        return nil
    }

    /// The token as written, for messages.
    public var shown: String {
        switch kind {
        case .word(let text), .number(let text), .symbol(let text): return text
        case .quotedWord(let text): return "\"\(text)\""
        // A literal may be a password: messages never repeat one.
        case .string: return "a string literal"
        case .bind(let name): return ":" + name
        case .end: return "end of block"
        }
    }
}
