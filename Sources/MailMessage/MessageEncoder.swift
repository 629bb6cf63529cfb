#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// MessageEncoder writes a MailMessage as MIME bytes into a sink, in chunks of about 64 KiB.
///
/// Headers and text parts are small and built in memory; attachment files are read 64 KiB at a
/// time and base64-encoded as they are read, so memory stays flat whatever the file's size.
struct MessageEncoder {
    static let chunkSize = 64 * 1024
    /// Read size for attachment files: a multiple of 57 (one base64 line) near 64 KiB.
    static let fileReadSize = 57 * 1150

    let message: MailMessage
    let options: EncodingOptions
    let values: HeaderValues
    private var buffer: [UInt8] = []

    init(message: MailMessage, options: EncodingOptions) throws(MessageError) {
        self.message = message
        self.options = options
        let converter = message.charset == .utf8 ? nil : try CharsetConverter(message.charset, field: "charset")
        self.values = HeaderValues(charset: message.charset, converter: converter, allowSMTPUTF8: options.allowSMTPUTF8)
        buffer.reserveCapacity(Self.chunkSize + 4096)
    }

    indirect enum Part {
        case text(subtype: String, encoding: TransferEncoding, bytes: [UInt8])
        case attachment(Attachment, field: String)
        case multipart(subtype: String, boundary: String, parts: [Part])
    }

    /// Encodes the whole message. With `readFiles` false, attachment files are checked for
    /// readability but not read (validation).
    mutating func encode(readFiles: Bool, sink: ([UInt8]) throws -> Void) throws {
        let body = try buildBody()
        try writeMessageHeaders()
        try writePartHeaders(body)
        buffer += [13, 10]
        try writePartBody(body, readFiles: readFiles, sink: sink)
        if buffer.count < 2 || buffer[buffer.count - 2] != 13 || buffer[buffer.count - 1] != 10 {
            if !(buffer.isEmpty && lastFlushedEndedWithCRLF) { buffer += [13, 10] }
        }
        if !buffer.isEmpty { try sink(buffer) }
        buffer.removeAll()
    }

    private var lastFlushedEndedWithCRLF = false

    private mutating func flushIfFull(_ sink: ([UInt8]) throws -> Void) throws {
        if buffer.count >= Self.chunkSize {
            lastFlushedEndedWithCRLF =
                buffer.count >= 2 && buffer[buffer.count - 2] == 13 && buffer[buffer.count - 1] == 10
            try sink(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Structure

    private func buildBody() throws(MessageError) -> Part {
        let m = message
        var textPart: Part? = nil
        var htmlPart: Part? = nil
        if let text = m.text {
            let (encoding, bytes) = try TextBody.encode(
                text, charset: m.charset, converter: values.converter,
                allow8Bit: options.allow8Bit, field: "text body")
            textPart = .text(subtype: "plain", encoding: encoding, bytes: bytes)
        }
        if let html = m.html {
            let (encoding, bytes) = try TextBody.encode(
                html, charset: m.charset, converter: values.converter,
                allow8Bit: options.allow8Bit, field: "html body")
            htmlPart = .text(subtype: "html", encoding: encoding, bytes: bytes)
        }
        var loose: [Part] = []
        if let html = htmlPart, !m.inlineParts.isEmpty {
            let inline = m.inlineParts.enumerated().map { Part.attachment($1, field: "inlineParts[\($0)]") }
            htmlPart = .multipart(subtype: "related", boundary: Self.boundary(), parts: [html] + inline)
        } else {
            loose = m.inlineParts.enumerated().map { Part.attachment($1, field: "inlineParts[\($0)]") }
        }
        var main: Part
        switch (textPart, htmlPart) {
        case (let text?, let html?):
            main = .multipart(subtype: "alternative", boundary: Self.boundary(), parts: [text, html])
        case (let text?, nil): main = text
        case (nil, let html?): main = html
        case (nil, nil): main = .text(subtype: "plain", encoding: .sevenBit, bytes: [])
        }
        let attachments = loose + m.attachments.enumerated().map { Part.attachment($1, field: "attachments[\($0)]") }
        if !attachments.isEmpty {
            main = .multipart(subtype: "mixed", boundary: Self.boundary(), parts: [main] + attachments)
        }
        return main
    }

    /// `=_` and 28 random letters and digits: `=_` never occurs in base64 or quoted-printable.
    static func boundary() -> String { "=_" + MessageID.randomBase36(28) }

    // MARK: - Headers

    private mutating func field(_ name: String, _ tokens: [[UInt8]], errorField: String) throws(MessageError) {
        guard HeaderFolding.fold(name: name, tokens: tokens, into: &buffer) else {
            throw MessageError(.tooLong, field: errorField, reason: "cannot be folded into lines of at most 998 octets")
        }
    }

    private mutating func writeMessageHeaders() throws(MessageError) {
        let m = message
        try field("Date", [Array(RFC5322Date.format(m.date, offsetSeconds: m.timeZoneOffset).utf8)], errorField: "Date")
        try field("From", try values.addresses([m.from], field: "From", indexed: false), errorField: "From")
        if let sender = m.sender {
            try field("Sender", try values.addresses([sender], field: "Sender", indexed: false), errorField: "Sender")
        }
        if !m.replyTo.isEmpty {
            try field("Reply-To", try values.addresses(m.replyTo, field: "Reply-To"), errorField: "Reply-To")
        }
        if !m.to.isEmpty { try field("To", try values.addresses(m.to, field: "To"), errorField: "To") }
        if !m.cc.isEmpty { try field("Cc", try values.addresses(m.cc, field: "Cc"), errorField: "Cc") }
        // Bcc is never written; its addresses are checked for SMTPUTF8 like the others.
        _ = try values.addresses(m.bcc, field: "Bcc")
        if let returnPath = m.returnPath {
            _ = try values.addresses([returnPath], field: "Return-Path", indexed: false)
        }
        try field(
            "Subject", try values.unstructured(m.subject, field: "Subject", headerName: "Subject"),
            errorField: "Subject")
        try MessageID.validate(m.messageID, field: "Message-ID")
        try field("Message-ID", [Array(m.messageID.utf8)], errorField: "Message-ID")
        try field("MIME-Version", [Array("1.0".utf8)], errorField: "MIME-Version")
        for (index, header) in m.headers.enumerated() {
            let name = "headers[\(index)]"
            try HeaderSafety.check(header.name, field: name + ".name")
            guard !header.name.isEmpty, header.name.utf8.count <= 76,
                header.name.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") })
            else {
                throw MessageError(
                    .invalidHeader, field: name + ".name",
                    reason:
                        "\"\(header.name.prefix(100))\" is not a header name (1 to 76 printable ASCII characters without a colon)"
                )
            }
            guard !MailHeader.reservedNames.contains(header.name.lowercased()) else {
                throw MessageError(
                    .invalidHeader, field: name + ".name",
                    reason: "\(header.name) is written by MailMessage itself; set the message's property instead")
            }
            try field(
                header.name,
                try values.unstructured(header.value, field: "\(name) (\(header.name))", headerName: header.name),
                errorField: name)
        }
    }

    private mutating func writePartHeaders(_ part: Part) throws(MessageError) {
        switch part {
        case .text(let subtype, let encoding, _):
            try field(
                "Content-Type",
                [Array("text/\(subtype);".utf8), Array("charset=\"\(message.charset.mimeName)\"".utf8)],
                errorField: "Content-Type")
            try field(
                "Content-Transfer-Encoding", [Array(encoding.rawValue.utf8)], errorField: "Content-Transfer-Encoding")
        case .multipart(let subtype, let boundary, _):
            try field(
                "Content-Type", [Array("multipart/\(subtype);".utf8), Array("boundary=\"\(boundary)\"".utf8)],
                errorField: "Content-Type")
        case .attachment(let attachment, let name):
            var type = try HeaderValues.contentType(attachment.contentType, field: name + ".contentType")
            var disposition = [Array((attachment.contentID == nil ? "attachment" : "inline").utf8)]
            if !attachment.filename.isEmpty {
                type[type.count - 1].append(UInt8(ascii: ";"))
                type += try HeaderValues.parameter("name", attachment.filename, field: name + ".filename")
                disposition[0].append(UInt8(ascii: ";"))
                disposition += try HeaderValues.parameter("filename", attachment.filename, field: name + ".filename")
            }
            try field("Content-Type", type, errorField: name + ".contentType")
            try field("Content-Transfer-Encoding", [Array("base64".utf8)], errorField: name)
            try field("Content-Disposition", disposition, errorField: name + ".filename")
            if let contentID = attachment.contentID {
                try MessageID.validate("<\(contentID)>", field: name + ".contentID")
                try field("Content-ID", [Array("<\(contentID)>".utf8)], errorField: name + ".contentID")
            }
        }
    }

    // MARK: - Bodies

    private mutating func writePartBody(_ part: Part, readFiles: Bool, sink: ([UInt8]) throws -> Void) throws {
        switch part {
        case .text(_, _, let bytes):
            buffer += bytes
            try flushIfFull(sink)
        case .multipart(_, let boundary, let parts):
            for child in parts {
                buffer += Array("--\(boundary)\r\n".utf8)
                try writePartHeaders(child)
                buffer += [13, 10]
                try writePartBody(child, readFiles: readFiles, sink: sink)
                buffer += [13, 10]
                try flushIfFull(sink)
            }
            buffer += Array("--\(boundary)--\r\n".utf8)
            try flushIfFull(sink)
        case .attachment(let attachment, let name):
            var encoder = Base64Lines()
            switch attachment.source {
            case .bytes(let bytes):
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + Self.fileReadSize)
                    bytes.withUnsafeBytes { raw in
                        encoder.append(UnsafeRawBufferPointer(rebasing: raw[offset..<end]), to: &buffer)
                    }
                    offset = end
                    try flushIfFull(sink)
                }
            case .file(let path):
                try streamFile(path, field: name, readFiles: readFiles, encoder: &encoder, sink: sink)
            }
            encoder.finish(to: &buffer)
            try flushIfFull(sink)
        }
    }

    private mutating func streamFile(
        _ path: String, field: String, readFiles: Bool, encoder: inout Base64Lines,
        sink: ([UInt8]) throws -> Void
    ) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw MessageError(
                .attachmentUnreadable, field: field + ".file",
                reason: "cannot open \"\(path)\": \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard readFiles else { return }
        var chunk = [UInt8](repeating: 0, count: Self.fileReadSize)
        var pending = 0  // bytes in `chunk` not yet encoded (reads may be short)
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + pending, raw.count - pending)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw MessageError(
                    .attachmentUnreadable, field: field + ".file",
                    reason: "reading \"\(path)\" failed: \(String(cString: strerror(errno)))")
            }
            pending += count
            if count == 0 || pending == chunk.count {
                chunk.withUnsafeBytes { raw in
                    encoder.append(UnsafeRawBufferPointer(rebasing: raw[0..<pending]), to: &buffer)
                }
                pending = 0
                try flushIfFull(sink)
            }
            if count == 0 { break }
        }
    }
}
