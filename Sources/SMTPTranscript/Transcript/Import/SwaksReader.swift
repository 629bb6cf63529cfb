import SMTPConversation
/// SwaksReader reads swaks' terminal output, every prefix it writes: ` ->`/`<- ` in plaintext,
/// ` ~>`/`<~ ` inside TLS, `**>`/`*~>` and `<**`/`<~*` for errors, `===`/`***` for its own
/// remarks. When the TLS handshake was elided from a paste, the change from `->` to `~>` says
/// where TLS started.
struct SwaksReader: CaptureReader {
    private var prefix = LinePrefix()

    static func evidence(_ line: ArraySlice<UInt8>) -> Int {
        for marker in ["<-  ", "<~  ", "<** ", "<~* "] as [StaticString] {
            if let offset = line.offset(of: marker), line.dropFirst(offset + 4).isReplyLine { return 2 }
        }
        return line.offset(of: "=== Trying ") != nil || line.offset(of: "=== Connected to ") != nil ? 2 : 0
    }

    init() {}

    static func startsConversation(_ line: ArraySlice<UInt8>) -> Bool { line.offset(of: "=== Trying ") != nil }

    enum Marker {
        case client(tls: Bool)
        case server(tls: Bool)
        case info
        case error
    }

    static func marker(_ rest: ArraySlice<UInt8>) -> Marker? {
        if rest.starts(with: " -> ") || rest.starts(with: "**> ") || rest.elementsEqual([32, 45, 62]) || rest.starts(with: "**>") && rest.count == 3 {
            return .client(tls: false)
        }
        if rest.starts(with: " ~> ") || rest.starts(with: "*~> ") || rest.elementsEqual([32, 126, 62]) || rest.starts(with: "*~>") && rest.count == 3 {
            return .client(tls: true)
        }
        if rest.starts(with: "<-  ") || rest.starts(with: "<** ") { return .server(tls: false) }
        if rest.starts(with: "<~  ") || rest.starts(with: "<~* ") { return .server(tls: true) }
        if rest.starts(with: "=== ") { return .info }
        if rest.starts(with: "*** ") { return .error }
        return nil
    }

    mutating func read(_ line: CaptureLine, into builder: inout ImportBuilder) {
        if !prefix.isLearnt {
            let bytes = line.bytes
            let offset = bytes.offset(of: "=== ") ?? bytes.offset(of: "<-  ") ?? bytes.offset(of: "<~  ") ?? bytes.offset(of: "<** ")
            guard let offset else {
                builder.skip(line.bytes, line: line.number)
                return
            }
            prefix.learn(bytes, markerAt: offset)
        }
        guard let rest = prefix.strip(line.bytes), let marker = Self.marker(rest) else {
            if let rest = prefix.strip(line.bytes), CaptureSyntax.isElision(rest) {
                builder.elision(rest.text, line: line.number)
            } else {
                builder.skip(line.bytes, line: line.number)
            }
            return
        }
        let text = rest.dropFirst(4).text
        switch marker {
        case .client(let tls):
            if tls && !builder.hasTLS {
                builder.tls(line: line.number)
                builder.assume("the TLS handshake is not in the capture; swaks' ~> markers say it happened here")
            }
            if builder.inContent, Self.isSuppressedData(text) {
                builder.elision(text, line: line.number)
                return
            }
            builder.client(text, line: line.number)
        case .server(let tls):
            if tls && !builder.hasTLS {
                builder.tls(line: line.number)
                builder.assume("the TLS handshake is not in the capture; swaks' <~ markers say it happened here")
            }
            builder.server(text, line: line.number)
        case .info:
            if text.hasPrefix("TLS started") {
                builder.tls(line: line.number)
            } else if text.hasPrefix("Trying ") {
                builder.connection()
            } else if !text.hasPrefix("Connected to") {
                builder.annotation(text)
            }
        case .error:
            builder.annotation(text)
        }
    }

    /// swaks' `--suppress-data` writes `12 lines sent` instead of the content.
    static func isSuppressedData(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        return words.count == 3 && words[0].allSatisfy(\.isNumber) && words[1] == "lines" && words[2] == "sent"
    }
}
