/// UpstreamLimits are the sending limits an upstream server puts on one mailbox (one
/// credential), chosen from its host name when the user gives none: Office365
/// (smtp.office365.com, *.outlook.com) takes at most 30 messages a minute and 3 connections at
/// once per mailbox, and refuses more with 4.3.2/5.7.x replies that stop a sender for hours.
///
/// They apply per sender, and the relay runs one sender per upstream credential, so each
/// credential keeps its own limits. `--connections` and `--rate` override them.
public struct UpstreamLimits: Sendable, Equatable {
    /// Connections at once.
    public var connections: Int
    /// Messages a minute, across the connections.
    public var messagesPerMinute: Int

    /// Creates limits.
    public init(connections: Int, messagesPerMinute: Int) {
        self.connections = connections
        self.messagesPerMinute = messagesPerMinute
    }

    /// Office365's per-mailbox limits (Exchange Online sending limits).
    public static let office365 = UpstreamLimits(connections: 3, messagesPerMinute: 30)

    /// The limits of the upstream at `host` (a trailing dot and case ignored), or nil when the
    /// host is not one whose limits are known.
    public static func forHost(_ host: String) -> UpstreamLimits? {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name == "smtp.office365.com" || name.hasSuffix(".outlook.com") { return .office365 }
        return nil
    }
}

extension SMTPSettings {
    /// Sets `connections` and `messagesPerMinute` to the host's known limits (`UpstreamLimits`),
    /// when it has any; settings the user gives afterwards override them.
    public mutating func applyUpstreamLimits() {
        guard let limits = UpstreamLimits.forHost(host) else { return }
        connections = limits.connections
        messagesPerMinute = limits.messagesPerMinute
    }
}
