import ArgumentParser
import Foundation
import MailQueue
import SMTPConversation

/// `ms` (since 1970) as an RFC 3339 UTC time, e.g. `2026-11-24T05:20:01Z`.
func timestamp(_ ms: Int64) -> String {
    var seconds = time_t(ms / 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
}

/// Runs `body`, turning a QueueError into a message on stderr and the matching exit code.
func guarded<T>(_ body: () throws(QueueError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        Console.error("mail-queue: \(error.kindWords): \(error)")
        switch error.kind {
        // A request id or template that does not exist is the caller's mistake, like a usage error.
        case .database, .schema, .configuration, .notFound: throw ExitStatus.configuration
        default: throw ExitStatus.notAllSent
        }
    }
}
