import Foundation
import Testing

@testable import TrustStore

/// `smtp-wallet check` against real dates: faketime moves the clock of the real binary.
@Suite("Expiry check")
struct CheckTests {
    /// A wallet with one root that expires in 60 days.
    static func sixtyDayWallet() throws -> TestPKI {
        let pki = try TestPKI()
        try pki.root("root", subject: "/CN=Sixty Day Root", days: 60)
        try Wallet.create(pki.path("wallet"), password: "")
        try Wallet.modify(pki.path("wallet"), password: "") { wallet throws(WalletError) in
            try wallet.add(try pki.certificates("root.pem"), source: "root.pem")
        }
        return pki
    }

    func check(_ pki: TestPKI, shift: String, _ extra: [String] = []) throws -> ProcessResult {
        try run("faketime", ["-f", shift, TestEnvironment.walletTool, "check", "-w", pki.path("wallet")] + extra)
    }

    @Test("the threshold against faketime: 40 days left passes, 25 fails, expired fails, --days moves it")
    func threshold() throws {
        let pki = try Self.sixtyDayWallet()
        defer { pki.remove() }
        let now = try check(pki, shift: "+0d")
        #expect(now.status == 0 && now.stdout.contains("ok "), "\(now.output)")

        let forty = try check(pki, shift: "+20d")
        #expect(forty.status == 0, "\(forty.output)")
        #expect(forty.stdout.contains("   39 days") || forty.stdout.contains("   40 days"), "\(forty.output)")

        let twentyFive = try check(pki, shift: "+35d")
        #expect(twentyFive.status == 1, "\(twentyFive.output)")
        #expect(twentyFive.stdout.contains("EXPIRING") && twentyFive.stdout.contains("CN=Sixty Day Root"), "\(twentyFive.output)")

        let wider = try check(pki, shift: "+20d", ["--days", "45"])
        #expect(wider.status == 1, "\(wider.output)")
        let narrower = try check(pki, shift: "+35d", ["--days", "10"])
        #expect(narrower.status == 0, "\(narrower.output)")

        let expired = try check(pki, shift: "+61d")
        #expect(expired.status == 1 && expired.stdout.contains("EXPIRED"), "\(expired.output)")
    }

    @Test("--json reports days left and what failed")
    func json() throws {
        let pki = try Self.sixtyDayWallet()
        defer { pki.remove() }
        let result = try check(pki, shift: "+35d", ["--json"])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["failed"] as? Bool == true)
        let first = (object?["certificates"] as? [[String: Any]])?.first
        #expect((first?["daysLeft"] as? Int).map { (23...25).contains($0) } == true, "\(result.stdout)")
        #expect(first?["subject"] as? String == "CN=Sixty Day Root")
    }

    @Test("with a configured host, only the certificates it needs are checked")
    func onlyNeededCertificates() throws {
        let pki = try TestPKI.rootMove()
        defer { pki.remove() }
        try Wallet.create(pki.path("wallet"), password: "")
        try Wallet.modify(pki.path("wallet"), password: "") { wallet throws(WalletError) in
            try wallet.add(try pki.certificates("old-root.pem") + pki.certificates("new-root.pem"), source: "t")
        }
        var wallet = try Wallet.open(pki.path("wallet"))
        #expect(wallet.expiryReport().failed, "no host configured: every certificate counts, and the old root expires in 10 days")
        let plan = try wallet.planRenewal(fromServerChain: try pki.certificates("new-chain.pem"), host: "localhost", port: 587,
                                          starttls: true, bundle: [], bundleName: "none")
        try wallet.apply(plan)
        let report = wallet.expiryReport()
        #expect(!report.failed)
        #expect(report.items.first { $0.certificate.info.commonName == "Test Global Root G2" }?.neededBy == ["localhost:587"])
        #expect(report.items.first { $0.certificate.info.commonName == "Test Global Root CA" }?.isChecked == false)
    }
}
