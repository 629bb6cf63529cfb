import SMTPConversation
import Dispatch

/// TranscriptRecorder writes a conversation down as a `Transcript` while it happens.
///
/// Attach `observer` to `SMTPConnection.Options.observer`. Credentials never reach it: the
/// connection reports AUTH responses as `{secret}`. With `generalize` (the default) the parts
/// that change from run to run become patterns (`Date:` and `Message-ID:` headers in the
/// content), so the transcript can be played again later.
public final class TranscriptRecorder: @unchecked Sendable {
    private let lock = DispatchQueue(label: "TranscriptRecorder")
    private var entries: [Transcript.Entry] = []
    private var partialLine: [UInt8] = []
    private var inContent = false
    private var inHeaders = false
    /// Replace dates and message ids in message headers with patterns.
    public let generalize: Bool

    /// Creates an empty recorder.
    public init(generalize: Bool = true) {
        self.generalize = generalize
    }

    /// The observer to give a connection.
    public var observer: ConversationObserver {
        { [self] event in record(event) }
    }

    /// What was recorded so far.
    public var transcript: Transcript {
        lock.sync { Transcript(entries: entries) }
    }

    /// Records one event.
    public func record(_ event: ConversationEvent) {
        lock.sync {
            switch event {
            case .connecting(let host, let port):
                entries.append(Transcript.Entry(.annotation("connect \(host) port \(port)")))
            case .connected, .closed:
                break
            case .sent(let line):
                let escaped = Self.escaped(line).replacingOccurrences(
                    of: Self.escaped(Command.secretPlaceholder), with: Command.secretPlaceholder)
                entries.append(Transcript.Entry(.command(escaped)))
            case .sentData(let bytes):
                recordContent(bytes)
            case .received(let reply):
                if reply.code == 354 {
                    inContent = true
                    inHeaders = true
                }
                for line in reply.wireLines { entries.append(Transcript.Entry(.server(Self.escaped(line)))) }
            case .tlsEstablished:
                entries.append(Transcript.Entry(.tls))
            case .note(let text):
                entries.append(Transcript.Entry(.annotation(text)))
            }
        }
    }

    private func recordContent(_ bytes: [UInt8]) {
        partialLine += bytes
        while let newline = partialLine.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(partialLine[..<newline])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            partialLine.removeSubrange(...newline)
            let text = String(decoding: line, as: UTF8.self)
            if text == "." {
                entries.append(Transcript.Entry(.endOfData))
                inContent = false
                continue
            }
            if text.isEmpty { inHeaders = false }
            entries.append(Transcript.Entry(.content(inHeaders && generalize ? Self.generalized(text) : Self.escaped(text))))
        }
    }

    /// `text` with `{` and `}` doubled, so a transcript pattern reads it literally.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
    }

    static func generalized(_ header: String) -> String {
        let lower = header.lowercased()
        // The header's name as written (`Message-Id:` in swaks), so that strict matching holds.
        if lower.hasPrefix("date:") { return escaped(String(header.prefix(5))) + " {date}" }
        if lower.hasPrefix("message-id:") { return escaped(String(header.prefix(11))) + " {msgid}" }
        return escaped(header)
    }
}
