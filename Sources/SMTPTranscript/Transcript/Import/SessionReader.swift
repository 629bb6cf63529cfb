import SMTPConversation
/// SessionReader reads a terminal session with `openssl s_client` (`-starttls smtp` or implicit
/// TLS) or telnet, where the client's lines are unmarked: a line is the client's when it is an
/// SMTP command (or a SASL answer, or message content after a 354), the server's when it is a
/// reply. s_client's own report (certificates, session tickets, `read R BLOCK`) is skipped.
///
/// `s_client -starttls smtp` does the greeting, EHLO and STARTTLS itself and shows none of it:
/// that exchange is written as assumed, before the TLS boundary.
struct SessionReader: CaptureReader {
    private var openssl = false
    private var handshakeDone = false
    private var beforeCertificateEnd = false

    private var prefix = LinePrefix()

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        if line.offset(of: "CONNECTED(") != nil || line.offset(of: "Escape character is '^]'") != nil { return 3 }
        if line.offset(of: "SSL handshake has read") != nil || line.offset(of: "Verify return code:") != nil
            || line.offset(of: "read R BLOCK") != nil
        {
            return 1
        }
        return 0
    }

    init() {}

    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool { line.offset(of: "CONNECTED(") != nil || line.offset(of: "Escape character is") != nil }

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        let learnt = prefix.strip(line.bytes) { bytes in
            let trimmed = bytes.trimmingLeadingBlanks
            return bytes.offset(of: "CONNECTED(") ?? bytes.offset(of: "Trying ")
                ?? (trimmed.isReplyLine ? bytes.count - trimmed.count : nil)
        }
        guard let unprefixed = learnt else {
            builder.skip(line.bytes, line: line.number)
            return
        }
        let bytes = unprefixed.trimmingTrailingBlanks
        if bytes.starts(with: "CONNECTED(") {
            builder.connection()
            openssl = true
            return
        }
        if bytes.starts(with: "-----BEGIN ") { beforeCertificateEnd = true }
        if beforeCertificateEnd {
            if bytes.starts(with: "-----END ") { beforeCertificateEnd = false }
            return
        }
        if openssl && !handshakeDone && (bytes.starts(with: "SSL handshake has read") || bytes.starts(with: "Verify return code:")) {
            handshakeDone = true
            return
        }
        if builder.inContent && (!openssl || handshakeDone) {
            builder.client(bytes.text, line: line.number)
            return
        }
        if bytes.isReplyLine {
            if openssl && handshakeDone && !builder.hasTLS {
                if bytes.starts(with: "220") && !builder.hasStarted {
                    builder.tls(line: line.number)
                } else {
                    startTLSAssumed(into: &builder)
                    // The end of the EHLO reply s_client read before STARTTLS.
                    if !builder.awaitingReply { return }
                }
            }
            if !builder.awaitingReply && builder.hasStarted && !bytes.starts(with: "220") && !bytes.starts(with: "421") && !continuing(builder) {
                builder.skip(line.bytes, line: line.number)
                return
            }
            builder.server(bytes.text, line: line.number)
            return
        }
        if !bytes.trimmingLeadingBlanks.isEmpty, bytes.first != 32, bytes.first != 9,
            CaptureSyntax.isCommand(bytes) || builder.expectsContinuation
        {
            if openssl && handshakeDone && !builder.hasTLS { startTLSAssumed(into: &builder) }
            builder.client(bytes.text, line: line.number)
            return
        }
        if CaptureSyntax.isElision(bytes) {
            builder.elision(bytes.text, line: line.number)
            return
        }
        if !openssl || handshakeDone { builder.skip(line.bytes, line: line.number) }
    }

    /// True while a multi-line reply is still coming.
    private func continuing(_ builder: ImportBuilder) -> Bool { builder.replyContinues }

    private func startTLSAssumed(into builder: inout ImportBuilder) {
        builder.assume("openssl s_client -starttls smtp read the greeting and sent EHLO and STARTTLS itself; that exchange is assumed")
        builder.server("220 localhost ESMTP", line: 0)
        builder.clientPattern("EHLO {any}")
        builder.server("250-localhost", line: 0)
        builder.server("250 STARTTLS", line: 0)
        builder.client("STARTTLS", line: 0)
        builder.server("220 2.0.0 Ready to start TLS", line: 0)
        builder.tls(line: 0)
    }
}
