import Foundation
import Testing

@testable import TrustStore

/// Changes are locked and atomic: parallel renewals both land, and a renewal killed between
/// write and rename leaves a wallet that opens with the old content.
@Suite("Safety")
struct SafetyTests {
    /// Two roots about to expire, each with a re-issue (same key) in its own bundle.
    static func twoExpiringRoots() throws -> (pki: TestPKI, wallet: String) {
        let pki = try TestPKI()
        for name in ["a", "b"] {
            try pki.root("\(name)-old", subject: "/CN=Root \(name.uppercased())", days: 3, key: name)
            try pki.root("\(name)-new", subject: "/CN=Root \(name.uppercased())", days: 3650, key: name)
        }
        let path = pki.path("wallet")
        try Wallet.create(path, password: "pw")
        try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in
            try wallet.add(try pki.certificates("a-old.pem") + pki.certificates("b-old.pem"), source: "test")
        }
        return (pki, path)
    }

    func renewArguments(_ wallet: String, bundle: String) -> [String] {
        ["renew", "-w", wallet, "--password-env", "PW", "--from-bundle", bundle]
    }

    @Test("two renewals in parallel (processes): the second waits for the lock and both changes land")
    func parallelProcesses() throws {
        let (pki, path) = try Self.twoExpiringRoots()
        defer { pki.remove() }
        let environment = ["PW": "pw"]
        // The first renewal stops holding the lock, its new wallet written but not renamed.
        let first = try StoppableChild(TestEnvironment.walletTool, renewArguments(path, bundle: pki.path("a-new.pem")) + ["--stop-before-rename"],
                              environment: environment)
        #expect(first.waitUntilStopped())
        // The second one must wait; without the lock it would read the old wallet and drop A's renewal.
        let second = try StoppableChild(TestEnvironment.walletTool, renewArguments(path, bundle: pki.path("b-new.pem")), environment: environment)
        #expect(second.waitForStderr(containing: "waiting for another change"))
        first.signal(SIGCONT)
        #expect(first.waitForExit() == 0)
        #expect(second.waitForExit() == 0)
        let wallet = try Wallet.open(path, password: "pw")
        #expect(Set(wallet.trustedDER) == Set(try pki.certificates("a-new.pem") + pki.certificates("b-new.pem")))
    }

    @Test("two renewals in parallel (threads): the lock orders them and both changes land")
    func parallelThreads() throws {
        let (pki, path) = try Self.twoExpiringRoots()
        defer { pki.remove() }
        let aBundle = try pki.certificates("a-new.pem"), bBundle = try pki.certificates("b-new.pem")
        let firstWrote = DispatchSemaphore(value: 0), secondWaits = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let results = Results()
        DispatchQueue.global().async(group: group) {
            let hooks = WriteHooks(beforeRename: {
                firstWrote.signal()
                if secondWaits.wait(timeout: .now() + 20) == .timedOut { results.record("the second renewal never waited for the lock") }
            })
            results.record(Result { () throws(WalletError) in
                try Wallet.modify(path, password: "pw", hooks: hooks) { wallet throws(WalletError) in
                    try wallet.apply(wallet.planRenewal(fromBundle: aBundle, bundleName: "a"))
                }
            })
        }
        #expect(firstWrote.wait(timeout: .now() + 20) == .success)
        DispatchQueue.global().async(group: group) {
            let hooks = WriteHooks(waitingForLock: { secondWaits.signal() })
            results.record(Result { () throws(WalletError) in
                try Wallet.modify(path, password: "pw", hooks: hooks) { wallet throws(WalletError) in
                    try wallet.apply(wallet.planRenewal(fromBundle: bBundle, bundleName: "b"))
                }
            })
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(results.failures.isEmpty, "\(results.failures)")
        #expect(Set(try Wallet.open(path, password: "pw").trustedDER) == Set(aBundle + bBundle))
    }

    @Test("a renewal killed between write and rename: the wallet opens with the old content, and the next change works")
    func killedBeforeRename() throws {
        let (pki, path) = try Self.twoExpiringRoots()
        defer { pki.remove() }
        let before = try FileSystem.read(path + "/ewallet.p12")
        let child = try StoppableChild(TestEnvironment.walletTool, renewArguments(path, bundle: pki.path("a-new.pem")) + ["--stop-before-rename"],
                              environment: ["PW": "pw"])
        #expect(child.waitUntilStopped())
        let leftovers = try FileSystem.list(path).filter { $0.contains(".tmp-") }
        #expect(leftovers.count == 2, "the new p12 and manifest are written: \(leftovers)")
        child.signal(SIGKILL)
        #expect(child.waitForExit() == 128 + SIGKILL)

        #expect(try FileSystem.read(path + "/ewallet.p12") == before)
        let opened = try Wallet.open(path, password: "pw")
        #expect(Set(opened.trustedDER) == Set(try pki.certificates("a-old.pem") + pki.certificates("b-old.pem")))

        // The lock died with the process; the next renewal runs and sweeps the leftovers.
        let again = try wallet(renewArguments(path, bundle: pki.path("a-new.pem")), environment: ["PW": "pw"])
        #expect(again.status == 0, "\(again.output)")
        #expect(try FileSystem.list(path).filter { $0.contains(".tmp-") }.isEmpty)
        #expect(try Wallet.open(path, password: "pw").trustedDER.contains(try pki.certificates("a-new.pem")[0]))
        #expect(try FileSystem.read(path + "/ewallet.p12.bak") == before, "the previous version is kept")
    }

    @Test("a truncated ewallet.p12 is a clear error, and the kept backup opens with the previous content")
    func backupOpens() throws {
        let (pki, path) = try Self.twoExpiringRoots()
        defer { pki.remove() }
        try Wallet.modify(path, password: "pw") { wallet throws(WalletError) in _ = try wallet.remove(matching: "Root B") }
        let p12 = try FileSystem.read(path + "/ewallet.p12")
        try Data(p12.prefix(40)).write(to: URL(fileURLWithPath: path + "/ewallet.p12"))
        let error = try #require(throws: WalletError.self) { try Wallet.open(path, password: "pw") }
        #expect(error.kind == .corrupt)
        let backup = try PKCS12Codec.read(try FileSystem.read(path + "/ewallet.p12.bak"), password: "pw", origin: "bak")
        #expect(backup.certificates.count == 2)
    }
}

/// Thread-safe collection of failures from background work.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var failures: [String] = []

    func record(_ failure: String) { lock.withLock { failures.append(failure) } }

    func record<T>(_ result: Result<T, WalletError>) {
        if case .failure(let error) = result { record(error.description) }
    }
}
