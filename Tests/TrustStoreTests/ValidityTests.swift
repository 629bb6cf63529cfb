import Foundation
import Testing

@testable import TrustStore

/// Certificates outside their validity (certs/expired.pem: 2020 to 2021; certs/not-yet-valid.pem:
/// 2040 to 2045): `add` says so, `check` and `display` do not call them ok.
@Suite("Certificates outside their validity")
struct ValidityTests {
    /// A directory holding the root CA, the expired and the not-yet-valid certificate.
    static func folder(_ temp: TemporaryDirectory) throws -> String {
        let folder = temp.file("certs")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["ca.pem", "expired.pem", "not-yet-valid.pem"] {
            try FileManager.default.copyItem(atPath: TestEnvironment.cert(name), toPath: folder + "/" + name)
        }
        return folder
    }

    @Test("add of a folder warns on stderr for the expired and the not-yet-valid certificate, naming file and dates, and adds them")
    func addWarns() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let folder = try Self.folder(temp)
        #expect(try wallet(["create", "-w", temp.file("w"), "--auto-login"]).status == 0)
        let added = try wallet(["add", "-w", temp.file("w"), "--auto-login", folder])
        #expect(added.status == 0, "\(added.output)")
        #expect(added.stdout.components(separatedBy: "added ").count == 4, "all three are added: \(added.output)")
        let warnings = added.stderr.split(separator: "\n")
        #expect(warnings.count == 2, "\(added.stderr)")
        #expect(warnings.contains { $0.contains(folder + "/expired.pem") && $0.contains("has expired")
            && $0.contains("2020-01-01T00:00:00Z") && $0.contains("2021-01-01T00:00:00Z") }, "\(added.stderr)")
        #expect(warnings.contains { $0.contains(folder + "/not-yet-valid.pem") && $0.contains("not valid yet")
            && $0.contains("2040-01-01T00:00:00Z") && $0.contains("2045-01-01T00:00:00Z") }, "\(added.stderr)")
        #expect(!added.stderr.contains("ca.pem"), "a valid certificate is added without a word: \(added.stderr)")
    }

    @Test("check and display: a not-yet-valid certificate is NOT YET VALID, not ok, and check fails for it alone")
    func notYetValid() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Wallet.create(temp.file("w"), password: "")
        try Wallet.modify(temp.file("w"), password: "") { wallet throws(WalletError) in
            for name in ["ca.pem", "not-yet-valid.pem"] {
                for item in try CertificateReader.certificates(atPath: TestEnvironment.cert(name)) {
                    try wallet.add([item.der], source: item.file)
                }
            }
        }
        let checked = try wallet(["check", "-w", temp.file("w")])
        #expect(checked.status == 1, "\(checked.output)")
        let line = checked.stdout.split(separator: "\n").first { $0.contains("CN=localhost") } ?? ""
        #expect(line.hasPrefix("NOT YET VALID") && line.contains("2040-01-01"), "\(checked.output)")
        #expect(checked.stdout.contains("FAIL: 1 certificate(s) not valid yet"), "\(checked.output)")
        #expect(!checked.stdout.contains("ok: nothing checked"), "\(checked.output)")

        let json = try wallet(["check", "-w", temp.file("w"), "--json"])
        #expect(json.status == 1, "\(json.output)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let item = (object?["certificates"] as? [[String: Any]])?.first { ($0["subject"] as? String)?.contains("CN=localhost") == true }
        #expect(item?["notYetValid"] as? Bool == true && item?["failing"] as? Bool == true, "\(json.stdout)")
        #expect(item?["notBefore"] as? String == "2040-01-01T00:00:00Z", "\(json.stdout)")

        let shown = try wallet(["display", "-w", temp.file("w")])
        #expect(shown.status == 0, "\(shown.output)")
        #expect(shown.stdout.contains("2040-01-01T00:00:00Z to 2045-01-01T00:00:00Z (NOT YET VALID"), "\(shown.output)")
    }
}
