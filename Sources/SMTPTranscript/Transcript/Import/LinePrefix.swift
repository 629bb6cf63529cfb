import SMTPConversation
#if canImport(Glibc)
import Glibc
#endif

/// LinePrefix is what a logger or a paste put in front of every line of one capture: indentation,
/// a time stamp, a level, a thread name, WebSphere's `O `, a CI's `[2024-05-01T10:00:00Z] `.
///
/// It is learnt once per capture, from the first line where the format's own marker is found
/// (`DEBUG SMTP:`, `send:`, `<-`): the text before the marker, with digits standing for any
/// digit so that time stamps match. A line without that prefix comes from elsewhere in the log
/// (another thread, the build tool) and is not part of the capture.
struct LinePrefix: Sendable {
    /// The prefix with every digit replaced by `0`; nil until learnt.
    private(set) var shape: [UInt8]?

    /// True once learnt.
    var isLearnt: Bool { shape != nil }

    /// Learns the prefix from a line where the format's marker starts at `offset`.
    mutating func learn(_ line: ArraySlice<UInt8>, markerAt offset: Int) {
        shape = line[line.startIndex..<(line.startIndex + offset)].map(Self.masked)
    }

    /// The line without the prefix, learning the prefix first from this line while it is not
    /// learnt yet (`marker` gives the offset where the format's own marker starts in a line, nil
    /// when the line has none). nil for a line that is not part of the capture: no marker was
    /// seen yet, or the line does not carry the prefix.
    mutating func strip(_ line: ArraySlice<UInt8>, learningFrom marker: (ArraySlice<UInt8>) -> Int?) -> ArraySlice<UInt8>? {
        if !isLearnt {
            guard let offset = marker(line) else { return nil }
            learn(line, markerAt: offset)
        }
        return strip(line)
    }

    static func masked(_ byte: UInt8) -> UInt8 { byte >= 48 && byte <= 57 ? 48 : byte }

    /// The line without the prefix, or nil when it does not carry it. A line that is the prefix
    /// alone with its trailing spaces trimmed (an empty line in a prefixed log) is empty.
    func strip(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let shape, !shape.isEmpty else { return line }
        let count = min(line.count, shape.count)
        var index = line.startIndex
        for position in 0..<count {
            if Self.masked(line[index]) != shape[position] { return nil }
            index += 1
        }
        if line.count >= shape.count { return line[index...] }
        // Shorter than the prefix: only its trailing blanks may be missing.
        guard shape[count...].allSatisfy({ $0 == 32 || $0 == 9 }), count > 0 || shape.allSatisfy({ $0 == 32 || $0 == 9 }) else { return nil }
        return line[line.endIndex...]
    }

    /// The line without the prefix where blanks may stand for any part of it (a tool that
    /// indents the further lines of one message under its time stamp), or nil.
    func stripLoosely(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let shape, line.count >= shape.count else { return nil }
        var index = line.startIndex
        for position in 0..<shape.count {
            let byte = line[index]
            if Self.masked(byte) != shape[position] && byte != 32 && byte != 9 { return nil }
            index += 1
        }
        return line[index...]
    }
}

extension ArraySlice where Element == UInt8 {
    /// The offset of `needle` in the slice, or nil (memchr and memcmp: it runs on every line of a log).
    func offset(of needle: StaticString) -> Int? {
        let count = needle.utf8CodeUnitCount
        guard count > 0, self.count >= count else { return nil }
        #if canImport(Glibc)
        return withUnsafeBufferPointer { haystack -> Int? in
            needle.withUTF8Buffer { pattern -> Int? in
                guard let base = haystack.baseAddress else { return nil }
                let first = Int32(pattern[0])
                let last = haystack.count - count
                var start = 0
                // memchr to each candidate first byte, then compare the rest.
                while start <= last, let found = memchr(base + start, first, last - start + 1) {
                    let offset = UnsafeRawPointer(found) - UnsafeRawPointer(base)
                    if memcmp(base + offset, pattern.baseAddress!, count) == 0 { return offset }
                    start = offset + 1
                }
                return nil
            }
        }
        #else
        return needle.withUTF8Buffer { pattern -> Int? in
            let first = pattern[0]
            var index = startIndex
            let last = endIndex - count
            while index <= last {
                if self[index] == first {
                    var matched = 1
                    while matched < count && self[index + matched] == pattern[matched] { matched += 1 }
                    if matched == count { return index - startIndex }
                }
                index += 1
            }
            return nil
        }
        #endif
    }

    /// True when the slice starts with `prefix`.
    func starts(with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard self.count >= count else { return false }
        return prefix.withUTF8Buffer { pattern in
            var index = startIndex
            for byte in pattern {
                if self[index] != byte { return false }
                index += 1
            }
            return true
        }
    }

    /// The slice without leading spaces and tabs.
    var trimmingLeadingBlanks: ArraySlice<UInt8> {
        var index = startIndex
        while index < endIndex && (self[index] == 32 || self[index] == 9) { index += 1 }
        return self[index...]
    }

    /// The slice without trailing spaces and tabs.
    var trimmingTrailingBlanks: ArraySlice<UInt8> {
        var end = endIndex
        while end > startIndex && (self[end - 1] == 32 || self[end - 1] == 9) { end -= 1 }
        return self[..<end]
    }

    /// The bytes as a String (invalid UTF-8 repaired).
    var text: String { String(decoding: self, as: UTF8.self) }

    /// True when the slice is an SMTP reply line: three digits, then a space, a hyphen or nothing.
    var isReplyLine: Bool {
        guard count >= 3 else { return false }
        let i = startIndex
        for k in 0..<3 where !(self[i + k] >= 48 && self[i + k] <= 57) { return false }
        guard self[i] >= 50 && self[i] <= 53 else { return false }
        return count == 3 || self[i + 3] == 32 || self[i + 3] == 45
    }
}
