extension MailMessage {
    /// Writes the message as RFC 5322/MIME bytes (CRLF line ends, not dot-stuffed) into `sink`,
    /// in chunks of about 64 KiB; attachment files are read and encoded as they are written.
    ///
    /// ```swift
    /// var bytes: [UInt8] = []
    /// try message.encode { bytes += $0 }
    /// ```
    /// - Parameters:
    ///   - options: what the receiving side allows (8bit text, UTF-8 addresses).
    ///   - sink: receives each chunk; an error it throws stops encoding and is rethrown.
    /// - Throws: `MessageError` naming the field for any invalid value, or the sink's error.
    public func encode(options: EncodingOptions = EncodingOptions(), into sink: ([UInt8]) throws -> Void) throws {
        var encoder = try MessageEncoder(message: self, options: options)
        try encoder.encode(readFiles: true, sink: sink)
    }

    /// The whole message as bytes (convenient for small messages and tests; use `encode(into:)`
    /// or `write(to:)` for large attachments).
    public func encoded(options: EncodingOptions = EncodingOptions()) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(options: options) { bytes += $0 }
        return bytes
    }
}
