/// MailTemplate is a stored template: subject and body are both mustache templates, kept per
/// template id and language (Nablarch's mail template table).
public struct MailTemplate: Sendable, Hashable, Codable {
    /// The template id, e.g. `welcome`.
    public var id: String
    /// The language, e.g. `ja`.
    public var language: String
    /// The subject template.
    public var subject: String
    /// The body template.
    public var body: String
    /// The charset mails made from it use, unless the request names one.
    public var charset: String

    /// Creates a template.
    public init(id: String, language: String, subject: String, body: String, charset: String = "UTF-8") {
        self.id = id
        self.language = language
        self.subject = subject
        self.body = body
        self.charset = charset
    }
}
