import ArgumentParser
import Foundation
import TrustStore

/// `smtp-wallet renew`.
struct Renew: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace expiring certificates from a bundle, or follow a server to its new root.",
        discussion: """
            --from-bundle FILE: each certificate expiring within --days is replaced by a certificate of \
            the same subject and key that lives longer, or joined by its successor roots (re-keyed with \
            the same subject, or cross-signed by it) from FILE, e.g. /etc/ssl/certs/ca-certificates.crt.

            --from-server HOST:PORT: reads the chain the server presents (STARTTLS with --starttls, \
            implicit TLS otherwise), verifies it against the wallet plus --bundle with the host name \
            checked, and adds the anchor and intermediates it needs. Nothing the server sends is trusted \
            unless it verifies. The host is recorded so `check` watches its chain.

            Changes are atomic and locked; the previous wallet is kept as ewallet.p12.bak.
            """)

    @OptionGroup var wallet: WalletOption
    @OptionGroup var password: PasswordOptions

    @Option(name: .customLong("from-bundle"), help: ArgumentHelp("A PEM bundle to renew from.", valueName: "FILE"))
    var fromBundle: String?

    @Option(name: .customLong("from-server"), help: ArgumentHelp("An SMTP server to follow.", valueName: "HOST:PORT"))
    var fromServer: String?

    @Flag(help: "With --from-server: STARTTLS (ports 25, 587) instead of implicit TLS (465).")
    var starttls = false

    @Option(help: ArgumentHelp("With --from-server: the CA bundle that may supply a new anchor.", valueName: "FILE"))
    var bundle: String = CertificateReader.systemBundlePath

    @Option(name: .customLong("secure-host"), help: ArgumentHelp("With --from-server: the name the certificate must carry, if not HOST.", valueName: "NAME"))
    var secureHost: String?

    @Option(help: "Seconds to wait for the server.")
    var timeout: Double = 30

    @Option(help: "With --from-bundle: renew what expires within this many days.")
    var days = 30

    @Flag(name: .customLong("no-hosts"), help: "With --from-bundle: do not follow the configured hosts to the roots they now chain to.")
    var noHosts = false

    @Flag(name: .customLong("dry-run"), help: "Print what would change; change nothing.")
    var dryRun = false

    /// Stops the process (SIGSTOP) after the new files are written and before the rename, so a
    /// crash test can kill it there. Not for users.
    @Flag(name: .customLong("stop-before-rename"), help: .hidden)
    var stopBeforeRename = false

    /// Stops the process (SIGSTOP) after the new `ewallet.p12` is renamed into place and before
    /// `manifest.json` is, so a crash test can kill it there. Not for users.
    @Flag(name: .customLong("stop-between-renames"), help: .hidden)
    var stopBetweenRenames = false

    func validate() throws {
        if (fromBundle == nil) == (fromServer == nil) { throw ValidationError("give exactly one of --from-bundle FILE and --from-server HOST:PORT") }
        if let fromServer, Self.endpoint(fromServer) == nil { throw ValidationError("--from-server wants HOST:PORT, e.g. smtp.office365.com:587; got '\(fromServer)'") }
    }

    func run() throws {
        try Failure.guarding {
            let secret = try password.forOpening(wallet.path)
            var hooks = WalletAccess.hooks
            hooks.waitingForLock = { Output.note("waiting for another change to the wallet to finish") }
            if stopBeforeRename { hooks.beforeRename = { _ = raise(SIGSTOP) } }
            if stopBetweenRenames { hooks.betweenRenames = { _ = raise(SIGSTOP) } }
            let plan: RenewalPlan
            if let fromBundle {
                let certificates = try CertificateReader.certificates(atPath: fromBundle).map(\.der)
                // The configured hosts (recorded by renew --from-server) are asked for the chains
                // they present now, so a successor root they moved to is added from the bundle.
                let chains = noHosts ? [] : Self.currentChains(try Wallet.open(wallet.path, password: secret, permissions: .warn).manifest.hosts, timeout: timeout)
                let planFor: (Wallet) throws(WalletError) -> RenewalPlan = { current in
                    var plan = current.planRenewal(fromBundle: certificates, bundleName: fromBundle, days: days)
                    for (host, chain) in chains {
                        do throws(WalletError) {
                            let followed = try current.planRenewal(
                                fromServerChain: chain, host: host.host, port: host.port, starttls: host.starttls,
                                bundle: certificates, bundleName: fromBundle)
                            plan.merge(followed)
                        } catch {
                            plan.notes.append("\(host.address): \(error.message)")
                        }
                    }
                    return plan
                }
                plan = try Self.run(planFor, wallet: wallet.path, password: secret, dryRun: dryRun, hooks: hooks)
            } else {
                let (host, port) = Self.endpoint(fromServer ?? "")!
                let chain = try ServerChain.fetch(host: host, port: port, starttls: starttls, timeout: timeout)
                Output.note("\(host):\(port) presented \(chain.count) certificate(s)")
                let anchors = try CertificateReader.certificates(atPath: bundle).map(\.der)
                let planFor: (Wallet) throws(WalletError) -> RenewalPlan = { current throws(WalletError) in
                    try current.planRenewal(fromServerChain: chain, host: host, port: port, starttls: starttls,
                                            secureHost: secureHost, bundle: anchors, bundleName: bundle)
                }
                plan = try Self.run(planFor, wallet: wallet.path, password: secret, dryRun: dryRun, hooks: hooks)
            }
            for note in plan.notes { Output.line("note: \(note)") }
            if plan.isEmpty {
                Output.line("nothing to change")
            } else {
                for change in plan.changes { Output.line((dryRun ? "would " : "") + change.description) }
                if dryRun { Output.line("dry run: the wallet was not changed") }
            }
        }
    }

    /// Plans against the wallet as it is under the lock, then applies (unless a dry run).
    static func run(_ planFor: (Wallet) throws(WalletError) -> RenewalPlan, wallet path: String, password: String, dryRun: Bool,
                    hooks: WriteHooks) throws -> RenewalPlan {
        if dryRun { return try planFor(try WalletAccess.openForReading(path, password: password)) }
        return try Wallet.modify(path, password: password, hooks: hooks) { wallet throws(WalletError) in
            let plan = try planFor(wallet)
            try wallet.apply(plan)
            return plan
        }
    }

    /// The chain each configured host presents now; a host that cannot be reached is noted and skipped.
    static func currentChains(_ hosts: [Manifest.Host], timeout: Double) -> [(Manifest.Host, [[UInt8]])] {
        hosts.compactMap { host in
            do {
                let chain = try ServerChain.fetch(host: host.host, port: host.port, starttls: host.starttls, timeout: timeout)
                Output.note("\(host.address) presented \(chain.count) certificate(s)")
                return (host, chain)
            } catch {
                Output.note("\(host.address) could not be reached, its chain is not followed: \(error)")
                return nil
            }
        }
    }

    /// `host:port` or `[v6]:port`.
    static func endpoint(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
