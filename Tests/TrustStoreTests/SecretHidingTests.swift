import Foundation
import SMTPConversation
import Testing
import TrustStore

/// Secrets in Swift values: `print`, `String(reflecting:)`, `dump` and a walk of the mirror
/// never show a password or token; `revealed` does, where it is sent.
@Suite("Secrets hidden from description, reflection and dump")
struct SecretHidingTests {
    /// Every way a value is commonly shown.
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        var walked: [String] = []
        func walk(_ subject: Any, depth: Int) {
            guard depth < 8 else { return }
            for child in Mirror(reflecting: subject).children {
                walked.append("\(child.label ?? "_")=\(String(describing: child.value))")
                walk(child.value, depth: depth + 1)
            }
        }
        walk(value, depth: 0)
        return [dumped, String(reflecting: value), String(describing: value), "\(value)"] + walked
    }

    @Test("Credentials with a password or an access token")
    func credentials() {
        for (credentials, secret) in [(Credentials(username: "alice", password: "Hunter2-pw-77"), "Hunter2-pw-77"),
                                      (Credentials(username: "alice", accessToken: "eyJ-at-78"), "eyJ-at-78")] {
            for text in Self.renderings(credentials) + Self.renderings(credentials.secret) {
                #expect(!text.contains(secret), "shown: \(text.replacingOccurrences(of: secret, with: "<SECRET>"))")
            }
            var dumped = ""
            dump(credentials, to: &dumped)
            #expect(dumped.contains("alice") && dumped.contains("<redacted>"), "\(dumped)")
            #expect(String(reflecting: credentials.secret).contains("<redacted>"))
        }
    }

    @Test("WalletCredential's secret")
    func walletCredential() {
        let credential = WalletCredential(alias: "o365", username: "sender@contoso.com", kind: .clientSecret,
                                          secret: "cs-secret-88", tenant: "t", clientID: "c")
        for text in Self.renderings(credential) + Self.renderings(credential.secret) {
            #expect(!text.contains("cs-secret-88"), "shown: \(text.replacingOccurrences(of: "cs-secret-88", with: "<SECRET>"))")
        }
        #expect(String(reflecting: credential.secret) == "<redacted>")
        #expect(credential.secret.revealed == "cs-secret-88")
        var dumped = ""
        dump(credential, to: &dumped)
        #expect(dumped.contains("sender@contoso.com"), "the rest is still shown: \(dumped)")
    }
}
