import Foundation
import SMTPConversation

/// Printer shows a conversation as swaks does: one line per protocol line, prefixed and
/// coloured by direction (`->` client, `<-` server, `~>`/`<~` the same inside TLS, `===` info,
/// `***` errors), and explains enhanced status codes.
final class Printer: @unchecked Sendable {
    let color: Bool
    private var inTLS = false
    private var pendingData: [UInt8] = []
    private var tracker = ReplyContextTracker()
    private let output: FileHandle
    private let lock = NSLock()

    init(color: Bool, output: FileHandle = .standardOutput) {
        self.color = color
        self.output = output
    }

    /// Colour is on for a terminal unless NO_COLOR is set (https://no-color.org).
    static func wantsColor(fd: Int32 = 1) -> Bool {
        isatty(fd) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    var observer: ConversationObserver { { [self] event in self.show(event) } }

    func show(_ event: ConversationEvent) {
        if case .sentData(let bytes) = event {
            showData(bytes)
            return
        }
        flushData()
        lock.withLock { tracker.observe(event) }
        switch event {
        case .connecting(let host, let port): info("connecting to \(host) port \(port)")
        case .connected(let address): info("connected to \(address)")
        case .sent(let line): client(line)
        case .sentData: break
        case .received(let reply): server(reply)
        case .tlsEstablished(let version, let cipher, let peer):
            lock.withLock { inTLS = true }
            let subject = peer.first.map { ", certificate \($0.subject)" } ?? ""
            info("TLS started: \(version) \(cipher)\(subject)")
        case .note(let text): info(text)
        case .closed:
            lock.withLock { inTLS = false }
            info("connection closed")
        }
    }

    /// Body bytes as they go out: each line is shown once it is whole, as the wire has it, so
    /// `write_raw_data` pieces of one line are shown as that one line.
    private func showData(_ bytes: [UInt8]) {
        let lines: [ArraySlice<UInt8>] = lock.withLock {
            pendingData.append(contentsOf: bytes)
            var lines = pendingData.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            pendingData = Array(lines.removeLast())
            return lines
        }
        for line in lines { client(String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)) }
    }

    /// The start of a body line still open (written without its line end yet); empty when none.
    var openDataLine: String { lock.withLock { String(decoding: pendingData, as: UTF8.self) } }

    /// Shows a body line left open when something else happens (a reply, the connection closed).
    private func flushData() {
        let open = lock.withLock { () -> [UInt8] in
            defer { pendingData = [] }
            return pendingData
        }
        if !open.isEmpty { client(String(decoding: open, as: UTF8.self)) }
    }

    func client(_ line: String) {
        let arrow = lock.withLock { inTLS } ? " ~> " : " -> "
        write(paint(arrow + line, "36"))
    }

    func server(_ reply: Reply) {
        let arrow = lock.withLock { inTLS } ? "<~  " : "<-  "
        let tone = reply.isFailure ? (reply.isTransientFailure ? "33" : "31") : "32"
        for line in reply.wireLines { write(paint(arrow + line, tone)) }
        if let explanation = reply.explanation(context: lock.withLock { tracker.context }) {
            let status = reply.enhancedStatusCode.map { "\($0)" } ?? "\(reply.code)"
            write(paint("    \(status) (\(explanation.vendor)): \(explanation)", "2"))
        }
    }

    func info(_ text: String) { write(paint("=== " + text, "34")) }

    func error(_ text: String) { write(paint("*** " + text, "1;31")) }

    func plain(_ text: String) { write(TerminalText.escaped(text, keepingLineBreaks: true)) }

    /// `text` escaped (what a server, a transcript or a script said cannot drive the terminal),
    /// then coloured.
    private func paint(_ text: String, _ code: String) -> String {
        let safe = TerminalText.escaped(text, keepingLineBreaks: true)
        return color ? "\u{1B}[\(code)m\(safe)\u{1B}[0m" : safe
    }

    private func write(_ line: String) {
        lock.withLock { output.write(Data((line + "\n").utf8)) }
    }
}
