import Foundation
import Logging
import MailQueue

extension SenderSettingOptions {
    /// A daemon's wake-up on enqueue (`WakeUp.listen`), unless `--poll-only` (or the file's
    /// `poll-only = true`) asks for polling alone; nil for `--once`.
    /// - Throws: `ExitStatus.configuration` for a wrong `poll-only` line.
    func wakeUp(_ file: SenderConfigFile?, once: Bool, url: String, stop: StopSignal,
                pollSeconds: Double, logger: Logger = Logger(label: "mail-queue.wake-up")) throws -> WakeUp? {
        let fileSaysPollOnly = try guarded { () throws(QueueError) in try file?.flag("poll-only") } ?? false
        if once || pollOnly || fileSaysPollOnly { return nil }
        return try guarded { () throws(QueueError) in
            try WakeUp.listen(database: url, stop: stop, pollSeconds: pollSeconds, logger: logger)
        }
    }
}
