/// NetworkACL is the seed's `DBMS_NETWORK_ACL_ADMIN` step: the hosts and ports a conversation
/// may connect to. `openConnection` checks it before it resolves or connects.
///
/// Host patterns are exact names or addresses (`smtp.office365.com`, `127.0.0.1`), a leading
/// wildcard for subdomains (`*.office365.com`, which does not match `office365.com` itself), or
/// `*` for any host. Names are compared case-insensitively, without a trailing dot.
public struct NetworkACL: Sendable, Equatable {
    /// Entry allows one host pattern on a range of ports.
    public struct Entry: Sendable, Equatable {
        /// The host pattern.
        public var host: String
        /// The ports allowed; nil allows every port.
        public var ports: ClosedRange<Int>?

        /// Creates an entry; `ports` nil allows every port.
        public init(host: String, ports: ClosedRange<Int>? = nil) {
            self.host = host
            self.ports = ports
        }

        /// Parses `host`, `host:port` or `host:low-high` (IPv6 addresses in brackets: `[::1]:25`).
        public init(parsing text: String) throws(SMTPError) {
            var hostPart = Substring(text)
            var portPart: Substring?
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                hostPart = text[text.index(after: text.startIndex)..<close]
                let rest = text[text.index(after: close)...]
                if rest.hasPrefix(":") { portPart = rest.dropFirst() }
            } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
                hostPart = text[..<colon]
                portPart = text[text.index(after: colon)...]
            }
            guard !hostPart.isEmpty else {
                throw SMTPError(.invalidArgument(field: "ACL entry", reason: "\"\(text)\" has no host"))
            }
            var range: ClosedRange<Int>?
            if let portPart {
                let bounds = portPart.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!,
                    low >= 0, high <= 65535, low <= high
                else {
                    throw SMTPError(.invalidArgument(field: "ACL entry", reason: "\"\(text)\" has an invalid port range"))
                }
                range = low...high
            }
            self.init(host: String(hostPart), ports: range)
        }

        func allows(host: String, port: Int) -> Bool {
            if let ports, !ports.contains(port) { return false }
            let pattern = NetworkACL.normalize(self.host)
            let name = NetworkACL.normalize(host)
            if pattern == "*" { return true }
            if pattern.hasPrefix("*.") { return name.hasSuffix(String(pattern.dropFirst())) && name.count > pattern.count - 1 }
            return pattern == name
        }
    }

    /// The entries; a host is allowed when any entry allows it.
    public var entries: [Entry]

    /// Creates an ACL from its entries.
    public init(_ entries: [Entry]) {
        self.entries = entries
    }

    /// Throws `accessDenied` unless some entry allows `host` on `port`.
    public func check(host: String, port: Int) throws(SMTPError) {
        guard entries.contains(where: { $0.allows(host: host, port: port) }) else {
            let listed = entries.map { entry in
                entry.ports.map { "\(entry.host):\($0.lowerBound)-\($0.upperBound)" } ?? entry.host
            }
            throw SMTPError(.accessDenied(
                "\(host) port \(port) is not in the ACL (\(listed.isEmpty ? "empty" : listed.joined(separator: ", ")))"))
        }
    }

    static func normalize(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
