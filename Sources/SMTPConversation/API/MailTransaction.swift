/// MailTransaction is one message to send with `SMTPConnection.send(_:next:beforeFinalDot:)`:
/// its envelope and where its content comes from.
public struct MailTransaction: Sendable {
    /// MAIL FROM, RCPT TOs and their parameters.
    public var envelope: Envelope
    /// The message as it should arrive (headers, blank line, body).
    public var content: MessageContent

    /// Creates a transaction.
    public init(envelope: Envelope, content: MessageContent) {
        self.envelope = envelope
        self.content = content
    }
}

/// MessageContent is where a message's bytes come from: bytes in memory, a stream (such as
/// MailMessage's encoder) or a file. Line ends may be LF or CRLF; the connection dot-stuffs
/// the content and refuses a bare CR (SMTP smuggling).
public struct MessageContent: Sendable {
    /// Writer takes the next bytes of a streamed message, in order.
    public typealias Writer = ([UInt8]) throws(SMTPError) -> Void

    enum Source: Sendable {
        case bytes([UInt8])
        case stream(@Sendable (Writer) throws(SMTPError) -> Void)
        case file(String)
    }

    let source: Source

    /// The whole message in memory. It is encoded before the hook before the final dot is
    /// called and goes out with the dot in one write.
    public static func bytes(_ bytes: [UInt8]) -> MessageContent { MessageContent(source: .bytes(bytes)) }

    /// A message produced while it is sent: `produce` hands its bytes to the writer it is
    /// given, in order, and returns when the message is complete. Bytes go out in writes of
    /// about 64 KiB, so a large message never sits in memory whole.
    ///
    /// An error `produce` throws (or a writer error it passes on) ends the transaction without
    /// the final dot: the server discards the partial message.
    public static func stream(_ produce: @escaping @Sendable (_ write: Writer) throws(SMTPError) -> Void) -> MessageContent {
        MessageContent(source: .stream(produce))
    }

    /// A message read from the file at `path` as it is sent. The file is opened before the
    /// envelope goes out, so a missing file never opens a transaction.
    public static func file(_ path: String) -> MessageContent { MessageContent(source: .file(path)) }
}
