/// RetryFilter narrows `retry --failed`: only requests that failed recently, with a reply of
/// one class, or of one send pattern. Every nil part matches all.
public struct RetryFilter: Sendable, Hashable {
    /// Only requests that failed within this many ms before now.
    public var sinceMillis: Int64?
    /// Only requests whose recorded reply is of this class: 4 (`4xx`) or 5 (`5xx`). A request
    /// whose last error records no reply (a timeout, a network failure) does not match.
    public var replyClass: Int?
    /// Only requests of this send pattern.
    public var pattern: String?

    /// Creates a filter.
    public init(sinceMillis: Int64? = nil, replyClass: Int? = nil, pattern: String? = nil) {
        self.sinceMillis = sinceMillis
        self.replyClass = replyClass
        self.pattern = pattern
    }

    /// Reads a reply class as written on the command line: `4xx`, `5xx` (or `4`, `5`).
    /// - Throws: `QueueError.configuration` naming the text.
    public static func replyClass(_ text: String, field: String) throws(QueueError) -> Int {
        switch text.lowercased() {
        case "4xx", "4": return 4
        case "5xx", "5": return 5
        default: throw QueueError(.configuration, field: "\(field) '\(text)'", reason: "expected 4xx or 5xx")
        }
    }

    /// True when `lastError` records a reply of the wanted class (or no class is wanted).
    func matches(lastError: String?) -> Bool {
        guard let replyClass else { return true }
        guard let lastError, let reply = RecordedReply.parse(lastError) else { return false }
        return reply.code / 100 == replyClass
    }
}
