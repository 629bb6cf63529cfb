// mime-bench: the Swift side of scripts/bench-mime (not a test).
//
//   mime-bench build N        build and encode N messages (10 KiB text, 100 KiB attachment)
//                             into a counting sink; prints "messages bytes seconds"
//   mime-bench stream FILE    encode one message with FILE attached, streamed from disk into
//                             a sink that discards; prints "bytes vmhwm_kib"
import Foundation
import MailMessage

/// The text body: about 10 KiB of mixed Japanese and ASCII, the same as the Python side's.
func benchBody() -> String {
    let line = "お世話になっております。The quarterly report is attached; ご確認ください。 12345\n"
    var text = ""
    while text.utf8.count < 10 * 1024 { text += line }
    return text
}

/// 100 KiB of deterministic bytes (the Python side makes the same ones).
func benchAttachment() -> [UInt8] {
    (0..<(100 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
}

/// The process's peak resident set (VmHWM) in KiB.
func peakRSSKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}

func fail(_ text: String) -> Never {
    FileHandle.standardError.write(Data("mime-bench: \(text)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fail("usage: mime-bench build N | stream FILE") }
do {
    switch arguments[1] {
    case "build":
        guard let count = Int(arguments[2]), count > 0 else { fail("N must be a positive number") }
        let body = benchBody()
        let attachment = benchAttachment()
        var total = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for index in 0..<count {
            var message = try MailMessage(
                from: "送信者 <sender@example.com>", to: ["山田 太郎 <taro@example.jp>"], cc: ["cc@example.com"],
                subject: "月次レポート No.\(index)", text: body)
            message.attachments = [
                Attachment(filename: "report-\(index).pdf", contentType: "application/pdf", bytes: attachment)
            ]
            try message.encode { total += $0.count }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(count, total, String(format: "%.3f", seconds))
    case "stream":
        var message = try MailMessage(
            from: "sender@example.com", to: ["taro@example.jp"], subject: "big", text: "see attachment\n")
        message.attachments = [Attachment(filename: "big.bin", file: arguments[2])]
        var total = 0
        try message.encode { total += $0.count }
        print(total, peakRSSKiB())
    default:
        fail("unknown mode \(arguments[1])")
    }
} catch {
    fail("\(error)")
}
