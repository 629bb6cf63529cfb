import Foundation
import Testing

/// Mistakes on the command line exit 2, as `smtp-repl --help` says, with the reason and usage.
@Suite("smtp-repl usage errors")
struct UsageTests {
    @Test("an unknown subcommand or option, a missing argument: exit 2 with the reason", arguments: [
        (["bogus-subcommand"], "Unexpected argument 'bogus-subcommand'"),
        (["run", "--no-such-option", "x"], "Unknown option '--no-such-option'"),
        (["serve"], "Missing expected argument"),
    ])
    func usage(_ arguments: [String], _ reason: String) throws {
        let result = try Repl.repl(arguments)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains(reason), "\(result.output)")
        #expect(result.output.contains("Usage:") || result.output.contains("USAGE:"), "\(result.output)")
    }

    @Test("a mistyped command is refused with the nearest command; a stranger one without a guess", arguments: [
        ("mial a@example.com\n", "unknown command \"mial\"; did you mean mail?"),
        ("rcp b@example.com\n", "unknown command \"rcp\"; did you mean rcpt?"),
        ("xyzzy\n", "unknown command \"xyzzy\"; type help for the list"),
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
