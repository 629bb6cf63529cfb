import ArgumentParser
import Foundation
import TrustStore

/// `smtp-wallet check`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fail (exit 1) when a certificate a configured host needs expires within N days.",
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
            let opened = try Wallet.open(wallet.path, password: try password.forOpening(wallet.path))
            let report = opened.expiryReport(days: days)
            failed = report.failed
            json ? try Self.printJSON(report) : Self.printText(report)
        }
        if failed { throw ExitCode(1) }
    }

    static func printText(_ report: ExpiryReport) {
        for item in report.items {
            let status = !item.isChecked ? "unused" : item.daysLeft < 0 || item.certificate.info.notAfter <= WallClock.now() ? "EXPIRED" : item.isFailing ? "EXPIRING" : "ok"
            let needed = item.neededBy.isEmpty ? "" : "  needed by \(item.neededBy.joined(separator: ", "))"
            Output.line("\(status.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(item.daysLeft).leftPad(5)) days  \(item.certificate.info.subject)\(needed)")
        }
        let failing = report.items.filter(\.isFailing).count
        Output.line(failing == 0 ? "ok: nothing checked expires within \(report.days) days"
            : "FAIL: \(failing) certificate(s) expire within \(report.days) days; run `smtp-wallet renew`")
    }

    struct JSONItem: Encodable {
        let subject: String
        let issuer: String
        let fingerprint: String
        let notAfter: String
        let daysLeft: Int
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
                     notAfter: WalletDates.iso8601($0.certificate.info.notAfter), daysLeft: $0.daysLeft, checked: $0.isChecked,
                     failing: $0.isFailing, neededBy: $0.neededBy)
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
