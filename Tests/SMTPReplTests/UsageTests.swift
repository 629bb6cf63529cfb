import Foundation
import Testing

/// Mistakes on the command line exit 2, as `smtp-repl --help` says, with the reason and usage.
@Suite("smtp-repl usage errors")
struct UsageTests {
    @Test("an unknown subcommand or option, a missing argument: exit 2 with the reason", arguments: [
        (["bogus-subcommand"], "unknown subcommand 'bogus-subcommand'; the subcommands are repl (the default), run, serve, replay, convert, demo"),
        (["run", "--no-such-option", "x"], "Unknown option '--no-such-option'"),
        (["serve"], "Missing expected argument"),
    ])
    func usage(_ arguments: [String], _ reason: String) throws {
        let result = try Repl.repl(arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains(reason), "\(result.output)")
        #expect(result.output.contains("Usage:") || result.output.contains("USAGE:"), "\(result.output)")
    }

    @Test("a bad option value: exit 2 naming the option, the value and what is accepted, with the subcommand's usage", arguments: [
        (["convert", "--from", "outlook", "capture.txt"], "--from takes javamail, smtplib, swaks, cs, openssl, phpmailer, curl or postfix, not 'outlook'", "convert"),
        (["serve", "fixtures/transcripts/plain-submission.txt", "--listen", "127.0.0.1"],
         "--listen takes HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:2525), not '127.0.0.1'", "serve"),
        (["replay", "fixtures/transcripts/plain-submission.txt", "--server", "localhost"],
         "--server takes HOST:PORT with a port from 0 to 65535 (e.g. 127.0.0.1:2525), not 'localhost'", "replay"),
        (["replay", "fixtures/transcripts/plain-submission.txt", "--server", "127.0.0.1:1", "--username", "u", "--password-env", "SMTP_REPL_TEST_UNSET"],
         "--username needs the password in $SMTP_REPL_TEST_UNSET", "replay"),
    ])
    func badValue(_ arguments: [String], _ reason: String, _ subcommand: String) throws {
        let result = try Repl.repl(arguments.map { $0.hasPrefix("fixtures/") ? Repl.path($0) : $0 })
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("Error: " + reason), "\(result.output)")
        #expect(result.output.contains("Usage: smtp-repl \(subcommand) "), "\(result.output)")
        #expect(!result.output.contains("Usage: smtp-repl <subcommand>"), "\(result.output)")
    }

    @Test("convert of a capture it cannot read: exit 2 naming the path and the system's reason, no transcript")
    func convertUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases = [("/nonexistent/capture.log", "No such file or directory"), (directory, "Is a directory")]
        for (path, reason) in cases {
            let result = try Repl.repl(["convert", path])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.output.contains("smtp-repl convert: cannot read \(path): \(reason)"), "\(result.output)")
            #expect(!result.output.contains("# converted"), "\(result.output)")
        }
    }

    @Test("run, serve and replay of a file they cannot read, or that is not UTF-8: exit 2 naming the path and the reason")
    func scriptUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unreadable-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let latin1 = directory + "/latin1.txt"
        try Data("ehlo x\n".utf8 + [0x23, 0x20, 0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: latin1))  // "# café" in Latin-1
        let cases = [("/nonexistent/script.txt", "cannot read /nonexistent/script.txt: No such file or directory"),
                     (directory, "cannot read \(directory): Is a directory"),
                     (latin1, "\(latin1):2: not UTF-8 text")]
        for (path, message) in cases {
            for arguments in [["run", path], ["serve", path, "--once"], ["replay", path, "--server", "127.0.0.1:1"]] {
                let result = try Repl.repl(arguments)
                #expect(result.status == 2, "\(arguments): \(result.output)")
                #expect(result.output.contains(message), "\(arguments): \(result.output)")
            }
        }
    }

    @Test("serve --tls-cert without --tls-key: a usage error naming --tls-key, unless the PEM holds the key too")
    func tlsKeyMissing() throws {
        let transcript = Repl.path("fixtures/transcripts/plain-submission.txt")
        // Under `timeout -s KILL`: should serve start listening after all, the test fails instead of waiting.
        func serve(_ arguments: [String]) throws -> Repl.Result {
            try Repl.run("/usr/bin/timeout", ["-s", "KILL", "20", Repl.binary, "serve", transcript, "--listen", "127.0.0.1:0"] + arguments)
        }
        let missing = try serve(["--tls-cert", Repl.path("certs/server.pem")])
        #expect(missing.status == 2, "\(missing.output)")
        #expect(missing.output.contains("--tls-cert \(Repl.path("certs/server.pem")) holds no private key: give the key with --tls-key PEM"),
                "\(missing.output)")
        #expect(missing.output.contains("Usage: smtp-repl serve "), "\(missing.output)")
        #expect(!missing.output.contains("DECODER") && !missing.output.contains("error:1E08010C"), "\(missing.output)")

        let keyAlone = try serve(["--tls-key", Repl.path("certs/server.key")])
        #expect(keyAlone.status == 2 && keyAlone.output.contains("--tls-key goes with --tls-cert"), "\(keyAlone.output)")

        // Certificate and key in one PEM file: serve starts (its first line says it serves), then is stopped.
        let both = FileManager.default.temporaryDirectory.appendingPathComponent("both-\(UUID().uuidString).pem").path
        try (String(contentsOfFile: Repl.path("certs/server.pem"), encoding: .utf8)
            + String(contentsOfFile: Repl.path("certs/server.key"), encoding: .utf8)).write(toFile: both, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: both) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repl.binary)
        process.arguments = ["serve", transcript, "--tls-cert", both, "--listen", "127.0.0.1:0", "--no-color"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let child = try Child(process)
        // SIGKILL: a child started from the test runner did not end on SIGTERM within 30 s here.
        defer { child.stop(SIGKILL) }
        var banner = Data()
        while !String(decoding: banner, as: UTF8.self).contains("\n") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += chunk
        }
        #expect(String(decoding: banner, as: UTF8.self).contains("serving"), "\(String(decoding: banner, as: UTF8.self))")
    }

    @Test("a mistyped command is refused with the nearest command; a stranger one without a guess", arguments: [
        ("mial a@example.com\n", "unknown command \"mial\"; did you mean mail?"),
        ("rcp b@example.com\n", "unknown command \"rcp\"; did you mean rcpt?"),
        ("xyzzy\n", "unknown command \"xyzzy\"; type help for the list"),
        ("history\n", "unknown command \"history\"; Up/Down and Ctrl-R at the prompt walk and search the history (kept in ~/.smtp_repl_history)"),
        ("open 127.0.0.1:25\n", "unknown command \"open\"; to connect: open_connection HOST:PORT"),
        ("connect 127.0.0.1:25\n", "unknown command \"connect\"; to connect: open_connection HOST:PORT"),
    ])
    func didYouMean(_ script: String, _ message: String) throws {
        let result = try Repl.repl(["run", "-"], input: script)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test("--help still exits 0")
    func help() throws {
        let result = try Repl.repl(["--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("Exit codes:"))
    }
}
