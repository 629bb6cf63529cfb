import ArgumentParser
import Foundation
import MailQueue

/// SendSetting is one of `send`'s settings with where it was given (a flag, the environment or
/// a line of the `--config` file), so that a wrong value is reported where the user wrote it:
/// `--security tls: …`, `MAIL_QUEUE_SMTP mail.example.com: …`, `send.conf:2: security tls: …`.
struct SendSetting<Value> {
    /// The value.
    var value: Value
    /// Where it was given: `--security`, `MAIL_QUEUE_SMTP` or `send.conf:2: security`.
    var origin: String

    /// A configuration error about this value: `ORIGIN VALUE: reason` (exit 2).
    func error(_ reason: String) -> ValidationError { ValidationError("\(origin) \(value): \(reason)") }

    /// The setting `key`: its flag (`--KEY`), else the file's line, read by `read` (which names
    /// FILE:LINE when the text is not a `Value`); nil when neither gives it.
    /// - Throws: `ExitStatus.configuration` after the file's error is written to stderr.
    static func find(_ key: String, flag: Value?, file: SenderConfigFile?,
                     read: (SenderConfigFile) throws(QueueError) -> Value?) throws -> SendSetting? {
        if let flag { return SendSetting(value: flag, origin: "--\(key)") }
        guard let file, let line = file.entries[key]?.line,
              let value = try guarded({ () throws(QueueError) in try read(file) }) else { return nil }
        return SendSetting(value: value, origin: "\(file.file):\(line): \(key)")
    }
}

extension SendSetting where Value == String {
    /// The text setting `key`: its flag (`--KEY`), else `variable` in the environment, else the
    /// file's line; nil when none gives it.
    static func find(_ key: String, flag: String?, environment variable: String? = nil, file: SenderConfigFile?)
        -> SendSetting?
    {
        if let flag { return SendSetting(value: flag, origin: "--\(key)") }
        if let variable, let value = ProcessInfo.processInfo.environment[variable] {
            return SendSetting(value: value, origin: variable)
        }
        guard let file, let entry = file.entries[key] else { return nil }
        return SendSetting(value: entry.value, origin: "\(file.file):\(entry.line): \(key)")
    }
}
