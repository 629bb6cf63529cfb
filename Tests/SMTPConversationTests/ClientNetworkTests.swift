import Testing

import SMTPConversation
@testable import SMTPListener

/// ClientNetwork: CIDR blocks for `--trusted-client`, IPv4, IPv6 and IPv4 seen on IPv6 sockets.
@Suite("Client networks (CIDR)")
struct ClientNetworkTests {
    @Test("IPv4 blocks hold their addresses only; host bits are cleared")
    func ipv4() throws {
        let block = try ClientNetwork(parsing: "192.168.10.77/24")
        #expect(block.description == "192.168.10.0/24")
        #expect(block.contains("192.168.10.1") && block.contains("192.168.10.255"))
        #expect(!block.contains("192.168.11.1") && !block.contains("10.0.0.1") && !block.contains("not an address"))
        #expect(block.contains("::ffff:192.168.10.9") && !block.contains("::ffff:192.168.11.9"))
        let odd = try ClientNetwork(parsing: "10.0.0.0/13")
        #expect(odd.contains("10.7.255.255") && !odd.contains("10.8.0.0"))
        let host = try ClientNetwork(parsing: "127.0.0.2")
        #expect(host.prefixLength == 32 && host.contains("127.0.0.2") && !host.contains("127.0.0.1"))
        #expect(try ClientNetwork(parsing: "0.0.0.0/0").contains("203.0.113.5"))
    }

    @Test("IPv6 blocks, with or without brackets; an IPv4 client never matches an IPv6 block by accident")
    func ipv6() throws {
        let block = try ClientNetwork(parsing: "[2001:db8::]/32")
        #expect(block.contains("2001:db8:1::5") && !block.contains("2001:db9::1") && !block.contains("32.1.13.184"))
        #expect(try ClientNetwork(parsing: "::1").contains("::1"))
        #expect(block.description == "2001:db8::/32")
    }

    @Test("bad text is refused with the reason")
    func refused() {
        for (text, reason) in [("10.0.0.0/33", "from 0 to 32"), ("::/129", "from 0 to 128"), ("10.0.0.0/x", "not a number"),
                               ("printer.local", "not an IPv4 or IPv6 address"), ("10.0.0/8", "not an IPv4")] {
            let error = #expect(throws: SMTPError.self) { try ClientNetwork(parsing: text) }
            #expect(error.map { "\($0)".contains(reason) } == true, "\(text): \(String(describing: error))")
        }
        #expect(throws: SMTPError.self) { try TrustedClient(parsing: "10.0.0.0/8") }
        #expect(throws: SMTPError.self) { try TrustedClient(parsing: "=printer") }
        #expect((try? TrustedClient(parsing: "10.0.0.0/8=printer"))?.user == "printer")
    }
}
