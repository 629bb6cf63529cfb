import ArgumentParser

/// ServiceOptions are how `send` behaves as a service: its log format and the metrics endpoint.
struct ServiceOptions: ParsableArguments {
    @Option(help: "text (default) or json: one JSON object per line (time, level, event, request_id, pattern, reply) on stderr.")
    var logFormat: String = "text"
    @Option(help: "--daemon: serve Prometheus metrics at /metrics and a health check at /healthz on this loopback HOST:PORT (e.g. 127.0.0.1:9464, or [::1]:9464).")
    var metrics: String?
    @Flag(help: "Allow --metrics on a non-loopback address (anyone who can connect sees the queue's figures).")
    var metricsAllowRemote = false

    func validate(daemon: Bool) throws {
        guard logFormat == "text" || logFormat == "json" else {
            throw ValidationError("--log-format: expected text or json, not '\(logFormat)'")
        }
        if metrics != nil && !daemon { throw ValidationError("--metrics needs --daemon") }
    }
}
