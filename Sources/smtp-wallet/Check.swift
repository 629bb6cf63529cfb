import ArgumentParser
import Foundation
import TrustStore

/// `smtp-wallet check`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fail (exit 1) when a certificate a configured host needs expires within N days or is not valid yet.",
        discussion: """
            A host is configured by `renew --from-server`; it needs the certificates its chain verified \
            through. With no host configured, every certificate is checked. The client identity is always \
            checked. Run it from cron or a monitoring system.
            """)

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Option(help: "The threshold in days.")
    var days = 30

    @Flag(help: "Print a JSON report instead of text.")
    var json = false

    func validate() throws {
        if days < 0 { throw ValidationError("--days must be 0 or more") }
    }

    func run() throws {
        var failed = false
        try Failure.guarding {
            let opened = try WalletAccess.openForReading(wallet.path, password: try password.forOpening(wallet.path))
            let now = WallClock.now()
            let report = opened.expiryReport(days: days, now: now)
            failed = report.failed
            json ? try Self.printJSON(report) : Self.printText(report, now: now)
        }
        if failed { throw ExitCode(1) }
    }

    static func printText(_ report: ExpiryReport, now: Double = WallClock.now()) {
        for item in report.items {
            let certificate = item.certificate
            let needed = item.neededBy.isEmpty ? "" : "  needed by \(item.neededBy.joined(separator: ", "))"
            let start = WalletDates.iso8601(certificate.info.notBefore)
            let early = certificate.isNotYetValid(now: now) ? "  (valid only from \(start))" : ""
            let status = status(of: item, now: now).padding(toLength: 13, withPad: " ", startingAt: 0)
            Output.line("\(status) \(String(item.daysLeft).leftPad(5)) days  \(certificate.info.subject)\(needed)\(early)")
        }
        let expiring = report.items.filter(\.isFailing).count
        let early = report.items.filter { $0.failsCheck && !$0.isFailing }.count
        if expiring > 0 {
            Output.line("FAIL: \(expiring) certificate(s) expire within \(report.days) days; run `smtp-wallet renew`")
        }
        if early > 0 {
            Output.line(
                "FAIL: \(early) certificate(s) not valid yet: TLS through them fails until their start date "
                    + "(check this machine's clock, or `smtp-wallet remove` them)")
        }
        if expiring == 0 && early == 0 { Output.line("ok: nothing checked expires within \(report.days) days") }
    }

    /// One word (or three) for a report line: unused, EXPIRED, NOT YET VALID, EXPIRING or ok.
    static func status(of item: ExpiryReport.Item, now: Double) -> String {
        if !item.isChecked { return "unused" }
        switch item.certificate.validity(now: now) {
        case .expired: return "EXPIRED"
        case .notYetValid: return "NOT YET VALID"
        case .valid: return item.isFailing ? "EXPIRING" : "ok"
        }
    }

    struct JSONItem: Encodable {
        let subject: String
        let issuer: String
        let fingerprint: String
        let notBefore: String
        let notAfter: String
        let daysLeft: Int
        let notYetValid: Bool
        let checked: Bool
        let failing: Bool
        let neededBy: [String]
    }

    struct JSONReport: Encodable {
        let days: Int
        let failed: Bool
        let certificates: [JSONItem]
    }

    static func printJSON(_ report: ExpiryReport) throws {
        let items = report.items.map {
            JSONItem(subject: $0.certificate.info.subject, issuer: $0.certificate.info.issuer, fingerprint: $0.certificate.fingerprint,
                     notBefore: WalletDates.iso8601($0.certificate.info.notBefore),
                     notAfter: WalletDates.iso8601($0.certificate.info.notAfter), daysLeft: $0.daysLeft, notYetValid: $0.isNotYetValid,
                     checked: $0.isChecked, failing: $0.failsCheck, neededBy: $0.neededBy)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(JSONReport(days: report.days, failed: report.failed, certificates: items))
        Output.line(String(decoding: data, as: UTF8.self))
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
