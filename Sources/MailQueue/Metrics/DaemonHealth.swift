import Foundation

/// DaemonHealth answers `/metrics` and `/healthz` for a running sender: the figures its workers
/// count, and the queue's gauges read through a store opened afresh for each request.
///
/// A fresh store each time is what makes `/healthz` see the database as the daemon's users
/// see it: a SQLite file removed or renamed is still readable through a connection opened
/// before (it holds the inode), but no enqueuing application reaches it any more.
public struct DaemonHealth: Sendable {
    /// Opens a store for one scrape.
    public let openStore: @Sendable () throws(QueueError) -> QueueStore
    /// What the workers count.
    public let metrics: SenderMetrics
    /// The longest a worker loop may go without a round before `/healthz` calls it stuck.
    public let maxBeatAge: Double
    /// The connections the sender keeps.
    public let connections: Int

    /// Creates the answers.
    public init(openStore: @escaping @Sendable () throws(QueueError) -> QueueStore, metrics: SenderMetrics,
                maxBeatAge: Double, connections: Int) {
        self.openStore = openStore
        self.metrics = metrics
        self.maxBeatAge = maxBeatAge
        self.connections = connections
    }

    /// The longest a loop may go quiet for a sender with these settings: an idle wait, then a
    /// message whose steps each take up to `timeout`, then a rate-limit slot, with a margin.
    public static func maxBeatAge(idlePollSeconds: Double, timeout: Double, messagesPerMinute: Int?) -> Double {
        max(60, 2 * idlePollSeconds + 6 * timeout + 60 / Double(messagesPerMinute ?? 60) + 30)
    }

    /// Why the daemon is not healthy, or nil when its loop and its database are alive.
    public func problem() -> String? {
        if let age = metrics.secondsSinceBeat(), age > maxBeatAge {
            return "the sender loop has not gone round for \(Int(age)) s (limit \(Int(maxBeatAge)) s)"
        }
        do throws(QueueError) {
            _ = try openStore().counts()
        } catch {
            return "database: \(error)"
        }
        return nil
    }

    /// The answer for `path`: `/metrics`, `/healthz`; nil for any other.
    public func answer(_ path: String) -> MetricsServer.Answer? {
        switch path {
        case "/metrics":
            let gauges = try? openStore().gauges()
            return (200, MetricsExposition.contentType, MetricsExposition.render(metrics.snapshot, gauges: gauges, connections: connections))
        case "/healthz":
            if let problem = problem() { return (503, "text/plain; charset=utf-8", "unhealthy: \(problem)\n") }
            return (200, "text/plain; charset=utf-8", "ok\n")
        default:
            return nil
        }
    }
}
