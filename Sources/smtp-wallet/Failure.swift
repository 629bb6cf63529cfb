import ArgumentParser
import Foundation
import SMTPConversation
import TrustStore

/// Failure turns wallet and CLI errors into one line on stderr and exit status 2.
enum Failure {
    static func guarding(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("smtp-wallet: \(TerminalText.escaped("\(error)"))\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Output writes to stdout or stderr.
enum Output {
    /// Writes to stdout; what came from a file, a certificate or a server is escaped (`TerminalText`).
    static func line(_ text: String) { print(TerminalText.escaped(text, keepingLineBreaks: true)) }
    /// Writes to stderr, escaped like `line`.
    static func note(_ text: String) { FileHandle.standardError.write(Data((TerminalText.escaped(text, keepingLineBreaks: true) + "\n").utf8)) }
}
