import Foundation
import Testing

/// The files in contrib/ that run the sender as a service.
@Suite("contrib/ service files")
struct ServiceFilesTests {
    @Test("the systemd unit passes systemd-analyze verify, is Type=notify with a watchdog, reload by SIGHUP, and hardened")
    func systemdUnit() throws {
        let unit = try String(contentsOf: TestEnvironment.root.appendingPathComponent("contrib/mail-queue-sender.service"), encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "--metrics 127.0.0.1:9464", "--log-format json"] {
            #expect(unit.contains(line), "\(line)")
        }
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: FileManager.default.isExecutableFile) else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "systemd-analyze is missing (scripts/setup installs systemd)")
            return
        }
        // Verified as installed, with ExecStart naming the binary just built.
        let directory = try temporaryDirectory()
        let copy = directory + "/mail-queue-sender.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/mail-queue", with: TestEnvironment.binary)
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let verified = try runProcess(analyze, ["verify", copy], timeout: 60)
        #expect(verified.status == 0 && verified.output.isEmpty, "\(verified.output)")
    }
}
