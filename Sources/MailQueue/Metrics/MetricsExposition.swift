import Foundation

/// MetricsExposition writes a sender's figures in Prometheus' text exposition format (version
/// 0.0.4): `# HELP` and `# TYPE` before each family, label values escaped (`\\`, `\"`, `\n`).
/// The queue's gauges are those `status --json` prints, read from the database at each scrape;
/// when it does not answer, `mail_queue_database_up` is 0 and the queue's gauges are left out.
public enum MetricsExposition {
    /// The content type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition of `figures` and `gauges` (nil: the database did not answer).
    /// - Parameter connections: the connections the sender is configured to keep.
    public static func render(_ figures: SenderMetrics.Snapshot, gauges: QueueStore.QueueGauges?, connections: Int) -> String {
        var out = Writer()
        out.family("mail_queue_database_up", "gauge", "1 when the queue's database answered this scrape, else 0.")
        out.sample("mail_queue_database_up", [], gauges == nil ? 0 : 1)
        if let gauges {
            out.family("mail_queue_requests", "gauge", "Requests in the queue by status (as `mail-queue status --json`).")
            for status in RequestStatus.allCases {
                out.sample("mail_queue_requests", [("status", status.rawValue)], Double(gauges.counts[status] ?? 0))
            }
            out.family("mail_queue_uncertain_requests", "gauge",
                       "Requests whose final dot was sent with no reply recorded (`retry ID` resends).")
            out.sample("mail_queue_uncertain_requests", [], Double(gauges.counts[.uncertain] ?? 0))
            out.family("mail_queue_requests_waiting_retry", "gauge", "Unsent requests waiting for their retry time.")
            out.sample("mail_queue_requests_waiting_retry", [], Double(gauges.waitingToRetry))
            out.family("mail_queue_oldest_due_request_age_seconds", "gauge",
                       "How long the oldest due unsent request has been due (0 when none is).")
            out.sample("mail_queue_oldest_due_request_age_seconds", [], gauges.oldestDueAgeSeconds)
        }
        out.family("mail_queue_sends_total", "counter", "Send attempts by outcome and the class of the reply that decided it.")
        for key in figures.sends.keys.sorted() {
            out.sample("mail_queue_sends_total", [("outcome", key.outcome), ("reply_class", key.replyClass)],
                       Double(figures.sends[key] ?? 0))
        }
        out.family("mail_queue_retries_total", "counter", "Requests put back for a later attempt.")
        out.sample("mail_queue_retries_total", [], Double(figures.retries))
        out.family("mail_queue_send_duration_seconds", "histogram", "Time from a request's turn to its outcome.")
        for (index, bound) in SenderMetrics.latencyBuckets.enumerated() {
            out.sample("mail_queue_send_duration_seconds_bucket", [("le", number(bound))], Double(figures.latencyBuckets[index]))
        }
        let count = figures.latencyBuckets.last ?? 0
        out.sample("mail_queue_send_duration_seconds_bucket", [("le", "+Inf")], Double(count))
        out.sample("mail_queue_send_duration_seconds_sum", [], figures.latencySum)
        out.sample("mail_queue_send_duration_seconds_count", [], Double(count))
        out.family("mail_queue_smtp_connections", "gauge", "SMTP connections the sender is configured to keep (workers).")
        out.sample("mail_queue_smtp_connections", [], Double(connections))
        out.family("mail_queue_smtp_connections_opened_total", "counter", "SMTP sessions opened (greeting, EHLO, TLS, AUTH done).")
        out.sample("mail_queue_smtp_connections_opened_total", [], Double(figures.connectionsOpened))
        out.family("mail_queue_smtp_connection_failures_total", "counter", "SMTP sessions that could not be opened.")
        out.sample("mail_queue_smtp_connection_failures_total", [], Double(figures.connectionFailures))
        out.family("mail_queue_rate_limit_waits_total", "counter", "Waits for the messages-per-minute limit.")
        out.sample("mail_queue_rate_limit_waits_total", [], Double(figures.rateLimitWaits))
        out.family("mail_queue_rate_limit_wait_seconds_total", "counter", "Seconds spent waiting for the rate limit.")
        out.sample("mail_queue_rate_limit_wait_seconds_total", [], figures.rateLimitWaitSeconds)
        // The wallet's families are always named (no sample without a wallet), so that a
        // dashboard's queries find them.
        out.family("mail_queue_wallet_last_check_timestamp_seconds", "gauge", "When the wallet was last read (seconds since 1970).")
        if let checked = figures.walletCheckedAt { out.sample("mail_queue_wallet_last_check_timestamp_seconds", [], checked) }
        out.family("mail_queue_certificate_days_left", "gauge", "Whole days until each wallet certificate expires.")
        for certificate in figures.certificates {
            out.sample("mail_queue_certificate_days_left", [("subject", certificate.subject)], Double(certificate.daysLeft))
        }
        out.family("mail_queue_claims_total", "counter", "Claims the sender's workers made (whether they found work or not).")
        out.sample("mail_queue_claims_total", [], Double(figures.claims))
        out.family("mail_queue_loop_last_beat_timestamp_seconds", "gauge", "When a worker loop last went round.")
        if let beat = figures.lastBeat { out.sample("mail_queue_loop_last_beat_timestamp_seconds", [], beat) }
        return out.text
    }

    /// A number as the format writes it: integers without a fraction.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A label value escaped: backslash, double quote and line feed.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    private struct Writer {
        var text = ""

        mutating func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            text += name
            if !labels.isEmpty {
                text += "{" + labels.map { "\($0.0)=\"\(MetricsExposition.escaped($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(MetricsExposition.number(value))\n"
        }
    }
}
