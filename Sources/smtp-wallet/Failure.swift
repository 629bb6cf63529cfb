import ArgumentParser
import Foundation
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
            FileHandle.standardError.write(Data("smtp-wallet: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Output writes to stdout or stderr.
enum Output {
    static func line(_ text: String) { print(text) }
    static func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
