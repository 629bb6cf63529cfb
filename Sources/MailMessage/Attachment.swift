/// Attachment is a file carried by a message: a named part with its own content type, either
/// downloadable (`Content-Disposition: attachment`) or inline with a `Content-ID` that HTML
/// refers to as `cid:…`.
///
/// The content is bytes in memory or a file read from disk in chunks while the message is
/// streamed (never loaded whole). Attachments are always base64-encoded.
public struct Attachment: Sendable, Hashable {
    /// Where the content comes from.
    public enum Source: Sendable, Hashable {
        /// Bytes in memory.
        case bytes([UInt8])
        /// A file, read in chunks while the message is written.
        case file(path: String)
    }

    /// The file name shown to the recipient; non-ASCII names are written with RFC 2231.
    public var filename: String
    /// The MIME type, e.g. `application/pdf`, optionally with parameters (`text/csv; header=present`).
    public var contentType: String
    /// The content.
    public var source: Source
    /// For inline parts: the Content-ID without angle brackets (`logo@example.com`); HTML uses
    /// `<img src="cid:logo@example.com">`. Nil for ordinary attachments.
    public var contentID: String?

    /// An attachment from bytes in memory.
    public init(filename: String, contentType: String = "application/octet-stream", bytes: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.source = .bytes(bytes)
    }

    /// An attachment read from a file while the message is streamed.
    public init(filename: String, contentType: String = "application/octet-stream", file path: String) {
        self.filename = filename
        self.contentType = contentType
        self.source = .file(path: path)
    }

    /// An inline part (an image the HTML body shows) with its Content-ID.
    public static func inline(contentID: String, filename: String, contentType: String, source: Source) -> Attachment {
        var part = Attachment(filename: filename, contentType: contentType, bytes: [])
        part.source = source
        part.contentID = contentID
        return part
    }
}

/// MailHeader is an extra header field (`X-Mailer`, `List-Unsubscribe`, `Importance`…).
///
/// The value is unstructured text: folded, and written with RFC 2047 encoded words when it is
/// not ASCII. Names that the message writes itself (From, To, Subject, Content-Type, …) are
/// refused, so an extra header can never override or duplicate them.
public struct MailHeader: Sendable, Hashable {
    /// The field name, e.g. `X-Mailer`.
    public var name: String
    /// The value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Names MailMessage writes itself (lower-cased); an extra header may not use them.
    public static let reservedNames: Set<String> = [
        "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition", "content-id", "return-path",
    ]
}
