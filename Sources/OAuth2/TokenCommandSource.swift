import Foundation
import SMTPConversation

/// TokenCommandSource runs the user's own command (`token_command="az account get-access-token …"`,
/// a vault client) with `/bin/sh -c` and reads the access token from its standard output:
/// either the bare token, or JSON with `access_token`/`accessToken` and `expires_in`/`expires_on`/
/// `expiresOn` (what `az` prints). A bare JWT's `exp` claim gives its expiry; another bare token
/// is assumed to last `defaultLifetime`.
///
/// Nothing secret is put on the command line: the command is the user's own text, and the token
/// comes back through a pipe, so `ps` shows neither. Standard error is kept only as a hint for
/// the error message, with anything the command printed on standard output redacted.
///
/// The command (and whatever it starts: `az`, its plugins) gets this process's environment
/// without the toolkit's secrets: `secretVariables` (the wallet and SMTP passwords'
/// variables) and the names the caller adds in `hiddenVariables` (the variable a
/// `--password-env` named, or any that holds the wallet password). The wallet password unlocks
/// every credential in the wallet; the command has no use for it.
public struct TokenCommandSource: TokenSource {
    /// The environment variables never passed to a token command: where the toolkit's own
    /// tools and documentation keep the wallet password and the SMTP password.
    public static let secretVariables: Set<String> = [
        "MAIL_QUEUE_WALLET_PASSWORD", "MAIL_QUEUE_SMTP_PASSWORD", "WALLET_PASSWORD", "SMTP_PASSWORD",
    ]

    /// The shell command.
    public let command: String
    /// Extra environment variables for the command (e.g. `SMTP_OAUTH_USERNAME`).
    public let environment: [String: String]
    /// More variables to keep from the command, besides `secretVariables`.
    public let hiddenVariables: Set<String>
    /// Seconds the command may run.
    public let timeout: Double
    /// The lifetime assumed for a bare, opaque token.
    public let defaultLifetime: Double
    /// The clock expiry times count from.
    public let clock: OAuth2Clock

    /// Creates a source.
    public init(command: String, environment: [String: String] = [:], hiddenVariables: Set<String> = [], timeout: Double = 60,
                defaultLifetime: Double = 600, clock: OAuth2Clock = .system) {
        self.command = command
        self.environment = environment
        self.hiddenVariables = hiddenVariables
        self.timeout = timeout
        self.defaultLifetime = defaultLifetime
        self.clock = clock
    }

    /// Runs the command once.
    public func fetch() throws(OAuth2Error) -> AccessToken {
        let started = clock.now()
        let out = Pipe(), err = Pipe()
        let nothing = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if nothing >= 0 { close(nothing) } }
        // ProgramLauncher (posix_spawn), not Foundation's Process.run(): that lists
        // /proc/self/fd with an over-read that crashes a process holding many descriptors (a
        // relay with many connections).
        let pid: pid_t
        do throws(ProgramLauncher.LaunchError) {
            pid = try ProgramLauncher.launch(
                path: "/bin/sh", arguments: ["-c", command], environment: childEnvironment(ProcessInfo.processInfo.environment),
                input: nothing, output: out.fileHandleForWriting.fileDescriptor, error: err.fileHandleForWriting.fileDescriptor)
        } catch {
            throw OAuth2Error(.tokenCommand, "cannot run the token command: \(error.reason)")
        }
        // Our copies of the command's ends: its output ends when it (and what it started) exits.
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var status: Int32 = -1
        Thread.detachNewThread {
            status = ProgramLauncher.waitForExit(pid)
            finished.signal()
        }
        // Read both pipes while the command runs, so a chatty command cannot block on a full pipe.
        let reading = DispatchGroup()
        nonisolated(unsafe) var errorBytes = Data()
        DispatchQueue.global().async(group: reading) { errorBytes = err.fileHandleForReading.readDataToEndOfFile() }
        nonisolated(unsafe) var outputBytes = Data()
        DispatchQueue.global().async(group: reading) { outputBytes = out.fileHandleForReading.readDataToEndOfFile() }
        // Bounded throughout: a command that leaves a background process behind keeps the
        // pipes open.
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(pid, SIGKILL)
            _ = finished.wait(timeout: .now() + 5)
            throw OAuth2Error(.tokenCommand, "the token command did not finish within \(Int(timeout)) s and was stopped", transient: true)
        }
        guard reading.wait(timeout: .now() + 5) == .success else {
            throw OAuth2Error(.tokenCommand, "the token command exited but left its output open (a background process?)", transient: true)
        }
        let output = String(decoding: outputBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let stderrLine = OAuth2Error.redacting(
            String(decoding: errorBytes, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? "",
            output.isEmpty ? [] : [output] + output.split(whereSeparator: \.isNewline).map(String.init))
        guard status == 0 else {
            throw OAuth2Error(.tokenCommand, "the token command exited with status \(status)"
                + (stderrLine.isEmpty ? "" : ": \(stderrLine.prefix(200))"))
        }
        guard !output.isEmpty else { throw OAuth2Error(.tokenCommand, "the token command printed no token on standard output") }
        return try parse(output, started: started)
    }

    /// What the command gets: `parent` without `secretVariables` and `hiddenVariables`, plus
    /// `environment`.
    public func childEnvironment(_ parent: [String: String]) -> [String: String] {
        parent.filter { !Self.secretVariables.contains($0.key) && !hiddenVariables.contains($0.key) }
            .merging(environment) { $1 }
    }

    func parse(_ output: String, started: Double) throws(OAuth2Error) -> AccessToken {
        if output.hasPrefix("{") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any],
                let token = (object["access_token"] ?? object["accessToken"]) as? String, !token.isEmpty
            else { throw OAuth2Error(.tokenCommand, "the token command printed JSON without access_token or accessToken") }
            if let seconds = IdentityPlatform.number(object["expires_in"]) { return AccessToken(value: token, expiresAt: started + seconds) }
            if let epoch = IdentityPlatform.number(object["expires_on"]) { return AccessToken(value: token, expiresAt: epoch) }
            return AccessToken(value: token, expiresAt: expiry(of: token, started: started))
        }
        guard !output.contains(where: \.isWhitespace) else {
            throw OAuth2Error(.tokenCommand, "the token command printed more than one word; it must print only the token (or JSON)")
        }
        return AccessToken(value: output, expiresAt: expiry(of: output, started: started))
    }

    private func expiry(of token: String, started: Double) -> Double {
        IdentityPlatform.number(JWT.claims(of: token)?["exp"]) ?? started + defaultLifetime
    }
}
