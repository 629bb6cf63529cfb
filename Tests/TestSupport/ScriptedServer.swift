import Foundation
import SMTPConversation

/// ScriptedServer plays a server's side of a conversation over the server end of an in-memory
/// stream pair (Go's net/smtp tests pair a server script with the client's exact bytes the same
/// way): the first turn is the greeting; every later turn answers one unit the client sent, a
/// command line, or a whole message (lines up to `.`) after a DATA answered 354.
package final class ScriptedServer: @unchecked Sendable {
    /// Turn is what the server does after reading the client's next unit.
    package enum Turn {
        /// Sends this reply (lines separated by `\n`; CRLF on the wire).
        case reply(String)
        /// Waits for the gate, then sends the reply.
        case held(DispatchSemaphore, String)
        /// Closes the connection without a reply.
        case drop
    }

    /// The client's end: give it to `SMTPConnection.open(over:)`.
    package let client: MemoryStream
    private let server: MemoryStream
    private let turns: [Turn]
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var units: [String] = []

    /// Starts the server on a thread of its own.
    package init(_ turns: [Turn]) {
        (client, server) = MemoryStream.pair()
        self.turns = turns
        Thread { [self] in
            run()
            finished.signal()
        }.start()
    }

    /// What the server read, one entry per unit (a message is one entry, its lines joined by `\n`).
    package var received: [String] { lock.withLock { units } }

    /// Everything the client wrote, as text (CRLF kept).
    package var clientBytes: String { String(decoding: client.written, as: UTF8.self) }

    /// Each write the client made, as text.
    package var clientWrites: [String] { client.writes.map { String(decoding: $0, as: UTF8.self) } }

    /// Waits until the server has played its last turn and seen the client close (10 s at most).
    @discardableResult
    package func waitUntilDone() -> Bool { finished.wait(timeout: .now() + 10) == .success }

    private func run() {
        var buffer: [UInt8] = []
        func line() -> String? {
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let text = String(decoding: buffer[..<end], as: UTF8.self)
                    buffer.removeSubrange(...end)
                    return text.hasSuffix("\r") ? String(text.dropLast()) : text
                }
                guard let chunk = try? server.read(max: 16384, deadline: Deadline(seconds: 10)), !chunk.isEmpty else { return nil }
                buffer += chunk
            }
        }
        var inData = false
        for (index, turn) in turns.enumerated() {
            if index > 0 {
                var unit: [String] = []
                repeat {
                    guard let next = line() else { return server.close() }
                    unit.append(next)
                } while inData && unit.last != "."
                let text = unit.joined(separator: "\n")
                lock.withLock { units.append(text) }
                let reply: String?
                switch turn {
                case .reply(let text), .held(_, let text): reply = text
                case .drop: reply = nil
                }
                inData = !inData && text == "DATA" && reply?.hasPrefix("354") == true
            }
            func send(_ reply: String) {
                try? server.write(Array((reply.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n").utf8), deadline: Deadline(seconds: 10))
            }
            switch turn {
            case .reply(let reply): send(reply)
            case .held(let gate, let reply):
                gate.wait()
                send(reply)
            case .drop: return server.close()
            }
        }
        // The script is played: read until the client closes, so its writes never fail.
        while let chunk = try? server.read(max: 16384, deadline: Deadline(seconds: 10)), !chunk.isEmpty {}
        server.close()
    }
}
