import MailMessage
import SMTPConversation

/// RequestPreparer checks a request and resolves it into what is stored: the template
/// rendered, defaults applied, an id and a stable Message-ID given. No I/O: the template, if
/// any, is passed in.
public struct RequestPreparer: Sendable {
    /// The checks and defaults.
    public var limits: QueueLimits

    /// Creates a preparer.
    public init(limits: QueueLimits = QueueLimits()) { self.limits = limits }

    /// Checks and resolves `request`.
    /// - Parameters:
    ///   - request: the request.
    ///   - template: the stored template when the request uses one (nil: `unknownTemplate`).
    ///   - id: the request id to give (default: a new unique one).
    /// - Throws: `QueueError`: `noRecipient`, `tooManyRecipients`, `attachmentsTooLarge`, `bodyTooLarge`,
    ///   `invalidAddress`, `headerInjection`, `unknownTemplate`, `missingVariable`,
    ///   `unusedVariable`, `unknownCharset`, `invalidMessage`; each names the field.
    public func prepare(_ request: MailRequest, template: MailTemplate?, id: String = RequestID.make()) throws(QueueError)
        -> StoredRequest
    {
        let count = request.to.count + request.cc.count + request.bcc.count
        if count == 0 {
            throw QueueError(.noRecipient, field: "To", reason: "the request has no recipient in To, Cc or Bcc")
        }
        if count > limits.maxRecipients {
            throw QueueError(.tooManyRecipients, field: "recipients",
                             reason: "the request has \(count) recipients; at most \(limits.maxRecipients) are allowed")
        }
        if let pattern = request.patternID { try Self.checkPattern(pattern) }
        try Self.checkSchedule(notBefore: request.notBefore, priority: request.priority)
        let total = request.attachments.reduce(0) { $0 + $1.data.count }
        if total > limits.maxAttachmentBytes {
            throw QueueError(.attachmentsTooLarge, field: "attachments",
                             reason: "the attachments total \(total) bytes; at most \(limits.maxAttachmentBytes) are allowed")
        }
        let subject: String, body: String
        var charset = request.charset
        switch request.content {
        case .text(let s, let b):
            subject = s
            body = b
        case .template(let templateID, let language, let variables):
            guard let template, template.id == templateID, template.language == language else {
                throw QueueError(.unknownTemplate, field: "template",
                                 reason: "no template '\(templateID)' in language '\(language)'")
            }
            (subject, body) = try TemplateRenderer.render(template, variables: variables)
            charset = charset ?? template.charset
        }
        if body.utf8.count > limits.maxBodyBytes {
            throw QueueError(.bodyTooLarge, field: "body",
                             reason: "the body is \(body.utf8.count) bytes; at most \(limits.maxBodyBytes) are allowed")
        }
        let from = request.from
        let recipients = request.to.map { (RecipientKind.to, $0) } + request.cc.map { (RecipientKind.cc, $0) }
            + request.bcc.map { (RecipientKind.bcc, $0) }
        let stored = StoredRequest(
            id: id, patternID: request.patternID, from: from, replyTo: request.replyTo ?? limits.defaultReplyTo,
            returnPath: request.returnPath ?? limits.defaultReturnPath, charset: charset ?? limits.defaultCharset,
            subject: subject, body: body, recipients: recipients.map { (kind: $0.0, address: $0.1) },
            attachments: request.attachments, messageID: MessageBuilder.messageID(requestID: id, from: from),
            notBefore: request.notBefore, priority: request.priority)
        try MessageBuilder.validate(stored)
        return stored
    }
}

extension RequestPreparer {
    /// The priorities a request may have: a higher one is claimed first, 0 is the default.
    public static let priorities: ClosedRange<Int> = -1000...1000
    /// The latest `notBefore` accepted: the end of the year 9999 (ms since 1970).
    public static let latestNotBefore: Int64 = 253_402_300_799_999

    /// Checks a request's schedule and priority.
    /// - Throws: `QueueError.invalidMessage` naming `priority` (outside `priorities`) or
    ///   `not_before` (before 1970 or after the year 9999).
    public static func checkSchedule(notBefore: Int64?, priority: Int) throws(QueueError) {
        guard priorities.contains(priority) else {
            throw QueueError(.invalidMessage, field: "priority",
                             reason: "\(priority) is outside \(priorities.lowerBound)...\(priorities.upperBound)")
        }
        if let notBefore, !(0...latestNotBefore).contains(notBefore) {
            throw QueueError(.invalidMessage, field: "not_before",
                             reason: "\(notBefore) ms since 1970 is outside 1970 to the year 9999")
        }
    }

    /// The most characters a send pattern id may have.
    public static let maxPatternLength = 64

    /// Checks a send pattern id: 1 to 64 ASCII letters, digits, `.`, `_`, `-` and `:`. A
    /// pattern is printed by `show`, logged and matched by `send --pattern`; a CR, LF or U+2028
    /// in it could forge a line of that output, and a space or quote makes it hard to name.
    /// - Throws: `QueueError.invalidMessage` naming the field `pattern` and the first character refused.
    public static func checkPattern(_ pattern: String) throws(QueueError) {
        guard !pattern.isEmpty, pattern.unicodeScalars.count <= maxPatternLength else {
            throw QueueError(.invalidMessage, field: "pattern",
                             reason: "must be 1 to \(maxPatternLength) characters, not \(pattern.unicodeScalars.count)")
        }
        for scalar in pattern.unicodeScalars {
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-:".unicodeScalars.contains(scalar))
            guard allowed else {
                throw QueueError(.invalidMessage, field: "pattern",
                                 reason: "\"\(TerminalText.escaped(pattern))\" has \"\(TerminalText.escaped(String(scalar)))\" (U+\(String(scalar.value, radix: 16, uppercase: true))); "
                                     + "a pattern may hold only ASCII letters, digits, '.', '_', '-' and ':'")
            }
        }
    }
}

/// RequestID makes request ids: time-ordered, unique without asking the database.
public enum RequestID {
    /// A new id: milliseconds since 1970 in base 36 (9 characters), `-`, 16 random base-36
    /// characters (about 82 bits). Safe as the left part of a Message-ID.
    public static func make(now: Int64 = Clock.milliseconds()) -> String {
        var time = String(now, radix: 36)
        while time.count < 9 { time = "0" + time }
        return time + "-" + MessageID.randomBase36(16)
    }
}
