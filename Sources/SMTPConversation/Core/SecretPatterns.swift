/// SecretPatterns is a short list of strings that must never be shown, and the one search that
/// replaces them with `{secret}` (`Command.secretPlaceholder`) in what a server sent.
///
/// `AuthEchoes` (the replies to AUTH) and `SentSecrets` (every later reply) both keep one. The
/// search ignores ASCII case, as a server may upper- or lower-case what it quotes (an
/// unrecognised command echoed in capitals), and works on the UTF-8 bytes: each pattern is
/// searched once per line in linear time (Knuth–Morris–Pratt), so a hostile reply built to make
/// a naive search backtrack costs no more than any other. Overlapping matches become one marker.
/// Patterns shorter than `minimumLength` are not kept: replacing every `a` of a reply would hide
/// the reply, not a secret.
public struct SecretPatterns: Sendable, Equatable {
    /// Patterns shorter than this are not kept.
    public static let minimumLength = 3

    /// The patterns, longest first.
    public private(set) var patterns: [String] = []
    /// Each pattern's bytes with ASCII letters lower-cased, and its KMP failure table.
    private var compiled: [Compiled] = []

    private struct Compiled: Sendable, Equatable {
        let bytes: [UInt8]
        let failure: [Int]
    }

    /// Creates an empty list.
    public init() {}

    /// True when there is nothing to hide.
    public var isEmpty: Bool { patterns.isEmpty }

    /// Adds `text` unless it is shorter than `minimumLength` or already there (ignoring case).
    public mutating func insert(_ text: String) {
        guard text.count >= Self.minimumLength else { return }
        let bytes = text.utf8.map(Self.folded)
        guard !compiled.contains(where: { $0.bytes == bytes }) else { return }
        let index = patterns.firstIndex { $0.utf8.count < bytes.count } ?? patterns.count
        patterns.insert(text, at: index)
        compiled.insert(Compiled(bytes: bytes, failure: Self.failureTable(bytes)), at: index)
    }

    /// Adds a base64 text with and without its `=` padding.
    public mutating func insert(base64 text: String) {
        insert(text)
        var unpadded = Substring(text)
        while unpadded.hasSuffix("=") { unpadded = unpadded.dropLast() }
        insert(String(unpadded))
    }

    /// Adds every pattern of `other`.
    public mutating func formUnion(_ other: SecretPatterns) {
        for pattern in other.patterns { insert(pattern) }
    }

    /// `text` with every match replaced by `{secret}`; `text` itself when nothing matched.
    public func redacting(_ text: String) -> String {
        guard !compiled.isEmpty else { return text }
        // Every reply after AUTH passes here: read the bytes in place, copy only on a match.
        var text = text
        text.makeContiguousUTF8()
        let output = text.utf8.withContiguousStorageIfAvailable { redacted($0) } ?? redacted(Array(text.utf8))
        guard let output else { return text }
        // Patterns are whole UTF-8 sequences, so a match never splits a character.
        return String(decoding: output, as: UTF8.self)
    }

    /// `bytes` (a line as received, any encoding) with every match replaced by `{secret}`.
    public func redacting(bytes: [UInt8]) -> [UInt8] {
        guard !compiled.isEmpty else { return bytes }
        return redacted(bytes) ?? bytes
    }

    /// The redacted bytes, nil when nothing matched.
    private func redacted<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> [UInt8]? where Bytes.Index == Int {
        var matches: [Range<Int>] = []
        for pattern in compiled { Self.search(pattern, in: bytes, into: &matches) }
        guard !matches.isEmpty else { return nil }
        matches.sort { $0.lowerBound < $1.lowerBound }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var position = bytes.startIndex
        var index = 0
        while index < matches.count {
            var end = matches[index].upperBound
            let start = matches[index].lowerBound
            index += 1
            while index < matches.count, matches[index].lowerBound < end {
                end = max(end, matches[index].upperBound)
                index += 1
            }
            result += bytes[position..<start]
            result += Command.secretPlaceholder.utf8
            position = end
        }
        result += bytes[position...]
        return result
    }

    /// `reply` with every line redacted; the same reply when nothing matched.
    public func redacting(_ reply: Reply) -> Reply {
        guard !compiled.isEmpty else { return reply }
        let lines = reply.lines.map(redacting)
        return lines == reply.lines ? reply : Reply(code: reply.code, lines: lines)
    }

    /// `error` with every match removed from its messages, its reply and its detail.
    public func redacting(_ error: SMTPError) -> SMTPError {
        guard !compiled.isEmpty else { return error }
        var copy = error
        copy.kind = error.kind.mapping(text: redacting, reply: redacting)
        copy.detail = error.detail.map(redacting)
        return copy
    }

    private static func folded(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// KMP's table: for each prefix length, the length of its longest proper border.
    private static func failureTable(_ pattern: [UInt8]) -> [Int] {
        var table = [Int](repeating: 0, count: pattern.count + 1)
        var border = 0
        for index in 1..<max(pattern.count, 1) {
            while border > 0 && pattern[index] != pattern[border] { border = table[border] }
            if pattern[index] == pattern[border] { border += 1 }
            table[index + 1] = border
        }
        return table
    }

    /// Appends every match of `pattern` in `text` (ASCII case folded as it is read).
    private static func search<Bytes: RandomAccessCollection<UInt8>>(
        _ pattern: Compiled, in text: Bytes, into matches: inout [Range<Int>]
    ) where Bytes.Index == Int {
        let needle = pattern.bytes
        var matched = 0
        for index in text.indices {
            let byte = folded(text[index])
            while matched > 0 && byte != needle[matched] { matched = pattern.failure[matched] }
            if byte == needle[matched] { matched += 1 }
            if matched == needle.count {
                matches.append(index + 1 - needle.count..<index + 1)
                matched = pattern.failure[matched]
            }
        }
    }
}
