/// RawMessage is a message the queue keeps exactly as it was given, the relay's kind of
/// request: the content bytes untouched (headers and body as the client sent them, CRLF line
/// ends, not dot-stuffed, no final dot) and the envelope apart. No header is made from the
/// envelope, so a blind-copied recipient never appears in the headers.
public struct RawMessage: Sendable, Hashable {
    /// The envelope sender (`MAIL FROM`); empty for the null path `<>`.
    public var sender: String
    /// The envelope recipients (`RCPT TO`), in order.
    public var recipients: [String]
    /// The message content.
    public var content: [UInt8]
    /// The send pattern: which sender delivers it (the relay uses the upstream credential alias).
    public var patternID: String?

    /// Creates a raw message.
    public init(sender: String, recipients: [String], content: [UInt8], patternID: String? = nil) {
        self.sender = sender
        self.recipients = recipients
        self.content = content
        self.patternID = patternID
    }

    /// The request the queue stores: the Subject and Message-ID read from the headers for
    /// `status`/`show`, the content kept as it is.
    /// - Throws: `QueueError` (`noRecipient`, `tooManyRecipients`, `invalidMessage`) naming what is wrong.
    public func stored(id: String = RequestID.make(), limits: QueueLimits = QueueLimits()) throws(QueueError) -> StoredRequest {
        if recipients.isEmpty {
            throw QueueError(.noRecipient, field: "RCPT TO", reason: "the message has no envelope recipient")
        }
        if recipients.count > limits.maxRecipients {
            throw QueueError(.tooManyRecipients, field: "RCPT TO",
                             reason: "the message has \(recipients.count) recipients; at most \(limits.maxRecipients) are allowed")
        }
        for (index, address) in ([sender] + recipients).enumerated()
        where address.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) {
            throw QueueError(.invalidAddress, field: index == 0 ? "MAIL FROM" : "RCPT TO[\(index)]",
                             reason: "holds a control character or an angle bracket")
        }
        let headers = Self.headerSection(of: content)
        return StoredRequest(
            id: id, patternID: patternID, from: sender, replyTo: nil, returnPath: nil, charset: "UTF-8",
            subject: Self.headerValue("Subject", in: headers) ?? "", body: "",
            recipients: recipients.map { (kind: RecipientKind.to, address: $0) }, attachments: [],
            messageID: Self.headerValue("Message-ID", in: headers) ?? "", raw: content)
    }

    /// The header section of `content`: everything up to and including the empty line (or all
    /// of it when there is none).
    public static func headerSection(of content: [UInt8]) -> ArraySlice<UInt8> {
        var index = 0
        var lineStart = true
        while index < content.count {
            if lineStart {
                if content[index] == 13, index + 1 < content.count, content[index + 1] == 10 {
                    return content[..<(index + 2)]
                }
            }
            lineStart = content[index] == 10
            index += 1
        }
        return content[...]
    }

    /// The first header field `name` in `headers`, unfolded, as text (not decoded).
    public static func headerValue(_ name: String, in headers: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: headers, as: UTF8.self)
        var value: String?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            if let current = value {
                guard line.first == " " || line.first == "\t" else { break }
                value = current + " " + line.trimmingCharacters(in: " \t")
                continue
            }
            guard let colon = line.firstIndex(of: ":"),
                line[..<colon].lowercased() == name.lowercased()
            else { continue }
            value = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t")
        }
        return value.map { String($0.prefix(998)) }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
