/// TemplateStatements reads and writes stored templates.
public struct TemplateStatements: Sendable {
    /// The dialect.
    public let dialect: SQLDialect
    /// The names.
    public let schema: QueueSchema

    /// Creates the builder.
    public init(dialect: SQLDialect, schema: QueueSchema = QueueSchema()) {
        self.dialect = dialect
        self.schema = schema
    }

    /// Inserts or replaces a template.
    public func put(_ template: MailTemplate) -> [SQLStatement] {
        let t = schema.templates
        return [
            SQLStatement(dialect, "DELETE FROM \(q(t.table)) WHERE \(q(t.id)) = ? AND \(q(t.language)) = ?",
                         [.text(template.id), .text(template.language)]),
            SQLStatement(dialect, """
                INSERT INTO \(q(t.table)) (\(q(t.id)), \(q(t.language)), \(q(t.subject)), \(q(t.body)), \(q(t.charset))) \
                VALUES (?, ?, ?, ?, ?)
                """, [.text(template.id), .text(template.language), .text(template.subject), .text(template.body),
                      .text(template.charset)]),
        ]
    }

    /// Lists every template: columns id, language, subject, charset; by id, then language.
    public var list: SQLStatement {
        let t = schema.templates
        return SQLStatement(dialect, """
            SELECT \(q(t.id)), \(q(t.language)), \(q(t.subject)), \(q(t.charset)) FROM \(q(t.table)) \
            ORDER BY \(q(t.id)), \(q(t.language))
            """)
    }

    /// Reads one template: columns subject, body, charset; no row when unknown.
    public func get(id: String, language: String) -> SQLStatement {
        let t = schema.templates
        return SQLStatement(dialect, """
            SELECT \(q(t.subject)), \(q(t.body)), \(q(t.charset)) FROM \(q(t.table)) \
            WHERE \(q(t.id)) = ? AND \(q(t.language)) = ?
            """, [.text(id), .text(language)])
    }
}
