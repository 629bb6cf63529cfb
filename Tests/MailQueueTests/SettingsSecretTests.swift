import Foundation
import MailQueue
import SMTPConversation
import Testing

/// The sender's settings hold the SMTP password and the wallet's password: `dump` and
/// `String(reflecting:)` show neither.
@Suite("Sender settings hide their secrets")
struct SettingsSecretTests {
    @Test("dump and String(reflecting:) of SMTPSettings")
    func hidden() {
        var settings = SMTPSettings(host: "smtp.example.com", port: 587, security: .starttls, walletPath: "file:/w",
                                    walletPassword: "wallet-pw-51", username: "alice", secret: .password("smtp-pw-52"))
        settings.heloName = "client.example.com"
        var dumped = ""
        dump(settings, to: &dumped)
        for text in [dumped, String(reflecting: settings), "\(settings)", String(reflecting: settings.secret)] {
            #expect(!text.contains("wallet-pw-51") && !text.contains("smtp-pw-52"), "a secret is shown")
        }
        #expect(dumped.contains("smtp.example.com") && dumped.contains("alice") && dumped.contains("<redacted>"), "\(dumped)")
    }
}
