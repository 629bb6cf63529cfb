import SMTPConversation
/// TranscriptStep is one move of a transcript played as a script: the greeting, a client line
/// with the server lines that answer it, a TLS handshake, a close or a silence.
public struct TranscriptStep: Sendable, Equatable {
    /// Kind is what the step does.
    public enum Kind: Sendable, Equatable {
        /// The server's greeting lines.
        case greeting
        /// A client line (command, content or end of data) and the server lines answering it.
        case exchange(Transcript.Entry)
        /// The TLS handshake.
        case tls
        /// The server closes the connection.
        case close
        /// The server stops answering.
        case hang
    }

    /// What the step does.
    public var kind: Kind
    /// The server lines sent for this step (after reading the client line, for an exchange).
    public var reply: [Transcript.Entry]
}

extension Transcript {
    /// The transcript as a script of steps, each client line paired with the reply it gets.
    ///
    /// A pipelined group (several commands, then their replies) is paired in order: the first
    /// reply answers the first command, and so on; extra server lines after the last reply (as
    /// in a response injection) go with the last command. Content lines get no reply.
    public func steps() -> [TranscriptStep] {
        var steps: [TranscriptStep] = []
        var group: [Entry] = []
        var serverLines: [Entry] = []

        func flush() {
            if group.isEmpty {
                if !serverLines.isEmpty { steps.append(TranscriptStep(kind: .greeting, reply: serverLines)) }
                serverLines = []
                return
            }
            let units = Self.replyUnits(serverLines)
            let expecting = group.indices.filter { index in
                if case .content = group[index].kind { return false }
                return true
            }
            var replies: [Int: [Entry]] = [:]
            for (position, index) in expecting.enumerated() {
                if position == expecting.count - 1 {
                    replies[index] = units.dropFirst(position).flatMap { $0 }
                } else if position < units.count {
                    replies[index] = units[position]
                }
            }
            for (index, entry) in group.enumerated() {
                steps.append(TranscriptStep(kind: .exchange(entry), reply: replies[index] ?? []))
            }
            group = []
            serverLines = []
        }

        for entry in entries {
            switch entry.kind {
            case .annotation:
                continue
            case .server:
                serverLines.append(entry)
            case .command, .content, .endOfData:
                if !serverLines.isEmpty { flush() }
                group.append(entry)
            case .tls, .close, .hang:
                flush()
                let kind: TranscriptStep.Kind = entry.kind == .tls ? .tls : entry.kind == .close ? .close : .hang
                steps.append(TranscriptStep(kind: kind, reply: []))
            }
        }
        flush()
        // A fragment starts with a client line: it is played after a made-up greeting.
        if isFragment, let first = steps.firstIndex(where: { $0.kind != .tls }), case .exchange = steps[first].kind {
            steps.insert(TranscriptStep(kind: .greeting, reply: [Entry(.server("220 localhost ESMTP (transcript fragment)"))]), at: first)
        }
        return steps
    }

    /// Splits server lines into replies: a reply ends at a line that is not `ddd-…`.
    static func replyUnits(_ lines: [Entry]) -> [[Entry]] {
        var units: [[Entry]] = []
        var current: [Entry] = []
        for entry in lines {
            current.append(entry)
            guard case .server(let text) = entry.kind else { continue }
            let bytes = Array(text.utf8)
            let continues = bytes.count > 3 && bytes[3] == UInt8(ascii: "-")
                && bytes.prefix(3).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            if !continues {
                units.append(current)
                current = []
            }
        }
        if !current.isEmpty { units.append(current) }
        return units
    }
}
