import Mustache

/// TemplateRenderer turns a stored template and a request's variables into a subject and body,
/// after checking that every variable the template needs is given and every one given is used.
public enum TemplateRenderer {
    private static let plainText = "{{% CONTENT_TYPE: TEXT}}"

    /// Renders `template` with `variables`.
    /// - Returns: the subject and body text.
    /// - Throws: `QueueError` `invalidTemplate` (not mustache), `missingVariable` or
    ///   `unusedVariable`, naming the template and the variable.
    public static func render(_ template: MailTemplate, variables: [String: TemplateValue]) throws(QueueError)
        -> (subject: String, body: String)
    {
        let where_ = "template \(template.id)/\(template.language)"
        let subjectUsage = TemplateVariables.scan(template.subject)
        let bodyUsage = TemplateVariables.scan(template.body)
        for name in subjectUsage.required + bodyUsage.required where variables[name] == nil {
            let part = subjectUsage.required.contains(name) ? "subject" : "body"
            throw QueueError(.missingVariable, field: where_,
                             reason: "the \(part) uses {{\(name)}} but the request gives no variable '\(name)'")
        }
        let mentioned = subjectUsage.mentioned.union(bodyUsage.mentioned)
        for name in variables.keys.sorted() where !mentioned.contains(name) {
            throw QueueError(.unusedVariable, field: where_,
                             reason: "the request gives variable '\(name)' but neither subject nor body uses it")
        }
        let context = variables.mapValues(\.mustacheValue)
        do {
            // Mail text is not HTML: values are written as they are, not HTML-escaped.
            let subject = try MustacheTemplate(string: plainText + template.subject).render(context)
            let body = try MustacheTemplate(string: plainText + template.body).render(context)
            return (subject, body)
        } catch {
            throw QueueError(.invalidTemplate, field: where_, reason: "not a valid mustache template: \(error)")
        }
    }

    /// Checks that the subject and body of `template` are valid mustache.
    /// - Throws: `QueueError.invalidTemplate` naming the template and the part.
    @discardableResult
    public static func parses(_ template: MailTemplate) throws(QueueError) -> Bool {
        for (part, text) in [("subject", template.subject), ("body", template.body)] {
            do { _ = try MustacheTemplate(string: text) } catch {
                throw QueueError(.invalidTemplate, field: "template \(template.id)/\(template.language) \(part)",
                                 reason: "not a valid mustache template: \(error)")
            }
        }
        return true
    }
}
