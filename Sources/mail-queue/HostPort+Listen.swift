import SMTPConversation

extension HostPort {
    /// Reads `text` as an address to listen on (`relay --listen`, `send --daemon --metrics`):
    /// a host and a port from 0 (any free one) to 65535, both required; an IPv6 address in
    /// brackets, as `--smtp` reads it.
    /// - Returns: the address and its port.
    /// - Throws: `invalidArgument` naming what is wrong (`HostPort.reason` gives the words);
    ///   with no host or no port, "give HOST:PORT, e.g. `example`".
    static func listening(_ text: String, example: String) throws(SMTPError) -> (address: HostPort, port: Int) {
        let parsed = try HostPort(parsing: text)
        guard !parsed.host.isEmpty, let port = try parsed.port(in: 0...65535) else {
            throw SMTPError(.invalidArgument(field: "host:port", reason: "give HOST:PORT, e.g. \(example)"))
        }
        return (parsed, port)
    }

    /// The host part of `host:port` text (brackets removed); the text itself when it does not parse.
    static func hostOf(_ text: String) -> String { (try? HostPort(parsing: text))?.host ?? text }
}
