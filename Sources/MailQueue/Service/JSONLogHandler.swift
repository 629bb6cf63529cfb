import Foundation
import Logging

/// JSONLogHandler writes each log event as one JSON object on one line (`--log-format json`),
/// for journald, Loki or any collector that reads JSON lines:
///
/// ```
/// {"time":"2026-12-05T03:30:01.123Z","level":"error","event":"request failed","request_id":"01J…","pattern":"orders","reply":"550 5.1.1 no such user","error":"RCPT TO: 550 5.1.1 no such user"}
/// ```
///
/// `time` is UTC with milliseconds; `event` is the message; the metadata key `id` is written
/// `request_id`, and `reply` is the server reply an `error` quotes (from its code on), when it
/// quotes one. Other metadata keys are written as they are, except keys that name a secret
/// (`password`, `secret`, `token`, `authorization`, `credential`): their values are written
/// `[redacted]`, so that a caller's mistake does not put a secret in the log.
public struct JSONLogHandler: LogHandler {
    /// Writes one line (the handler adds the line feed).
    public typealias Sink = @Sendable (String) -> Void

    /// The handler's own metadata (merged under each event's).
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: Sink

    /// Creates a handler writing to standard error (or `sink`).
    public init(label: String, sink: Sink? = nil) {
        self.label = label
        self.sink = sink ?? JSONLogHandler.standardError
    }

    /// Reads or sets one metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one line of JSON.
    public func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        sink(Self.line(time: Date(), level: event.level, event: event.message.description, metadata: merged))
    }

    /// The JSON line for one event (no line feed).
    static func line(time: Date, level: Logger.Level, event: String, metadata: Logger.Metadata) -> String {
        var fields: [(String, String)] = [("time", timestamp(time)), ("level", level.rawValue), ("event", event)]
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            let text = Self.mayHoldSecret(key) ? "[redacted]" : "\(value)"
            switch key {
            case "id": fields.append(("request_id", text))
            case "error":
                fields.append(("error", text))
                if let reply = RecordedReply.reply(in: text) { fields.append(("reply", reply)) }
            default: fields.append((key, text))
            }
        }
        return "{" + fields.map { "\(quoted($0.0)):\(quoted($0.1))" }.joined(separator: ",") + "}"
    }

    /// True for a metadata key that names a secret.
    static func mayHoldSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "token", "authorization", "credential"].contains(where: lowered.contains)
    }

    /// A JSON string: quotes, backslashes and control characters escaped (the rest as UTF-8).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `time` as RFC 3339 UTC with milliseconds.
    static func timestamp(_ time: Date) -> String {
        let ms = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }

    private static let lock = NSLock()

    /// Writes `line` and a line feed to standard error in one write, lines from threads never interleaved.
    public static let standardError: Sink = { line in
        let bytes = Array((line + "\n").utf8)
        lock.withLock {
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
                if count <= 0 { if errno == EINTR { continue }; return }
                offset += count
            }
        }
    }
}
