import SMTPConversation
#if canImport(Glibc)
import Glibc
#endif

/// ClientNetwork is a block of client addresses in CIDR form (`192.168.10.0/24`, `10.1.2.3`,
/// `2001:db8::/32`), as Postfix's `mynetworks` lists them. An IPv4 client seen on an IPv6 socket
/// (`::ffff:192.168.10.7`) matches the IPv4 block.
public struct ClientNetwork: Sendable, Equatable, CustomStringConvertible {
    /// The network's address bytes (4 or 16), with the host bits cleared.
    public let address: [UInt8]
    /// The prefix length in bits.
    public let prefixLength: Int

    /// Parses `ADDRESS[/BITS]`; an address alone is one host (/32 or /128). IPv6 may be in brackets.
    /// - Throws: `invalidArgument` naming the text and what is wrong with it.
    public init(parsing text: String) throws(SMTPError) {
        var addressText = Substring(text)
        var bits: Int?
        if let slash = text.lastIndex(of: "/") {
            addressText = text[..<slash]
            guard let value = Int(text[text.index(after: slash)...]) else {
                throw SMTPError(.invalidArgument(field: "network", reason: "\"\(text)\": the prefix length after / is not a number"))
            }
            bits = value
        }
        if addressText.hasPrefix("[") && addressText.hasSuffix("]") { addressText = addressText.dropFirst().dropLast() }
        guard let bytes = Self.bytes(of: String(addressText)) else {
            throw SMTPError(.invalidArgument(field: "network", reason: "\"\(text)\" is not an IPv4 or IPv6 address (give e.g. 192.168.10.0/24)"))
        }
        let length = bits ?? bytes.count * 8
        guard (0...(bytes.count * 8)).contains(length) else {
            throw SMTPError(.invalidArgument(field: "network", reason: "\"\(text)\": the prefix length must be from 0 to \(bytes.count * 8)"))
        }
        address = Self.masked(bytes, length)
        prefixLength = length
    }

    /// True when the numeric `clientAddress` (as `SMTPServerSession.clientAddress` gives it) is in
    /// this block.
    public func contains(_ clientAddress: String) -> Bool {
        guard var bytes = Self.bytes(of: clientAddress) else { return false }
        // ::ffff:a.b.c.d is the IPv4 client a.b.c.d.
        if bytes.count == 16 && address.count == 4 && bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            bytes = Array(bytes.suffix(4))
        }
        return bytes.count == address.count && Self.masked(bytes, prefixLength) == address
    }

    /// `192.168.10.0/24`.
    public var description: String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") + "/\(prefixLength)" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        address.withUnsafeBytes { raw in _ = inet_ntop(AF_INET6, raw.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/\(prefixLength)"
    }

    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if !text.contains(":"), inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsHere = max(0, min(8, length - index * 8))
            return bitsHere == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
    }
}

/// TrustedClient lets the clients of one network submit without AUTH, acting as a named user
/// (Postfix's `mynetworks` for devices that cannot authenticate, such as printers): the handler
/// applies that user's rules as if it had authenticated.
public struct TrustedClient: Sendable, Equatable {
    /// The client addresses trusted.
    public var network: ClientNetwork
    /// The user they act as.
    public var user: String

    /// Creates an entry.
    public init(network: ClientNetwork, user: String) {
        self.network = network
        self.user = user
    }

    /// Parses `CIDR=USER`.
    /// - Throws: `invalidArgument` for text that is not `CIDR=USER`, or a bad network.
    public init(parsing text: String) throws(SMTPError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
            throw SMTPError(.invalidArgument(field: "trusted client", reason: "\"\(text)\": give CIDR=USER, e.g. 192.168.10.0/24=printer"))
        }
        self.init(network: try ClientNetwork(parsing: String(text[..<equals])), user: String(text[text.index(after: equals)...]))
    }
}
