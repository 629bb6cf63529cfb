import Foundation

/// Maildir reads what the aiosmtpd peer wrote (`NNNNNN.eml`, then `NNNNNN.json` last, so an
/// `.eml` whose `.json` exists is complete). Tests run in parallel against one sink: each
/// looks for its own marker.
enum Maildir {
    /// The complete messages in `directory` whose text contains `marker`, as raw bytes by path.
    static func messages(in directory: String, containing marker: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [String: Data] = [:]
        for name in names where name.hasSuffix(".eml") {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: String(path.dropLast(4)) + ".json"),
                  let data = FileManager.default.contents(atPath: path),
                  data.range(of: Data(marker.utf8)) != nil else { continue }
            found[path] = data
        }
        return found
    }

    /// Waits (bounded) until `count` complete messages contain `marker`, and returns them.
    static func await(_ count: Int, in directory: String, containing marker: String, timeout: Double = 20) -> [String: Data] {
        var found: [String: Data] = [:]
        _ = eventually(timeout: timeout) {
            found = messages(in: directory, containing: marker)
            return found.count >= count
        }
        return found
    }
}
