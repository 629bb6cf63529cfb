import CReadline
import CSystem
import Foundation

/// LineEditor is GNU readline with persistent history (`~/.smtp_repl_history`) and tab
/// completion of commands and parameter names.
final class LineEditor {
    let historyPath: String

    init(historyPath: String = (ProcessInfo.processInfo.environment["SMTP_REPL_HISTORY"]
        ?? ((ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".smtp_repl_history")))
    {
        self.historyPath = historyPath
        rl_readline_name = UnsafePointer(strdup("smtp-repl"))
        rl_attempted_completion_function = { text, start, end in completeLine(text, start, end) }
        Self.endPromptlyOnSignals()
        using_history()
        if FileManager.default.fileExists(atPath: historyPath) {
            read_history(historyPath)
        } else {
            // append_history only appends to a file that exists.
            write_history(historyPath)
        }
    }

    /// SIGTERM and SIGHUP (and SIGINT, SIGQUIT outside readline, e.g. at the password prompt,
    /// where echo is off) end the REPL at once with the terminal as it was before: the settings
    /// are saved now, before readline or a password prompt changes them, and restored by the
    /// signal handler itself, on whichever thread the signal lands.
    ///
    /// readline's own handler only notes a signal and acts on it when its read loop looks; a
    /// SIGTERM that arrives between that look and the wait for a key was left for the next key
    /// (a benchmark's first SIGTERM right after the prompt was ignored). So readline gets
    /// SIGTERM and SIGHUP back from us each time it starts a line (`rl_startup_hook` runs
    /// after it installs its handlers); it keeps SIGINT, SIGTSTP and the others, which it
    /// handles well at the prompt.
    private static func endPromptlyOnSignals() {
        // Bracketed paste off (readline turns it on) and a new line, for the shell's prompt.
        let farewell = isatty(1) == 1 ? "\u{1B}[?2004l\r\n" : ""
        guard csystem_restore_terminal_on_signals(0, farewell, UInt(farewell.utf8.count)) == 0 else { return }
        rl_startup_hook = {
            csystem_reclaim_terminating_signals()
            return 0
        }
    }

    /// Reads a line with the prompt; nil at end of input (Ctrl-D). Message lines (`data>`) stay
    /// out of the history: `remember` false. A remembered line is kept with its secrets hidden
    /// (`auth … password={secret}`): the history file must never hold a password.
    /// `answersChallenge`: a raw AUTH waits for its answer, so the line is kept as
    /// `command {secret}` (see `LineRedaction`).
    func readLine(prompt: String, remember: Bool = true, answersChallenge: Bool = false) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if remember, !line.trimmingCharacters(in: .whitespaces).isEmpty {
            add_history(LineRedaction.redacted(line, answersChallenge: answersChallenge))
            append_history(1, historyPath)
        }
        return line
    }

    /// Replaces the line just typed on the terminal with `shown` (its secrets hidden): the
    /// answer to a raw AUTH challenge must not stay on the screen or in the scrollback.
    func retype(prompt: String, typed: String, shown: String) {
        guard isatty(1) == 1 else { return }
        var rows: Int32 = 0
        var columns: Int32 = 0
        rl_get_screen_size(&rows, &columns)
        let width = max(Int(columns), 1)
        // The rows the prompt and the typed line took, wrapped at the terminal's width.
        let used = max(1, (prompt.count + typed.count + width - 1) / width)
        var text = ""
        for _ in 0..<used { text += "\u{1B}[1A\r\u{1B}[2K" }
        text += prompt + shown + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes the history file anew (creating it on first use).
    func saveHistory() {
        write_history(historyPath)
        history_truncate_file(historyPath, 1000)
    }
}

/// Reads a secret from the terminal without echo.
func readSecret(prompt: String) -> String? {
    FileHandle.standardOutput.write(Data(prompt.utf8))
    var saved = termios()
    let isTerminal = tcgetattr(0, &saved) == 0
    if isTerminal {
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &quiet)
    }
    defer {
        if isTerminal { tcsetattr(0, TCSAFLUSH, &saved) }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
    return Swift.readLine(strippingNewline: true)
}

nonisolated(unsafe) private var candidates: [String] = []
nonisolated(unsafe) private var candidateIndex = 0

private func completeLine(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    let typed = text.map { String(cString: $0) } ?? ""
    let before = rl_line_buffer.map { String(String(cString: $0).utf8.prefix(Int(start))) ?? "" } ?? ""
    let words = before.split(separator: " ").map(String.init)
    if words.isEmpty {
        candidates = Catalog.commands.map(\.name).filter { $0.hasPrefix(typed) }
    } else {
        let command = words[0].lowercased()
        var pool = Catalog.find(command)?.parameters ?? []
        if command == "show" { pool += ["capabilities", "state", "cert", "transcript"] }
        if command == "help" { pool += Catalog.commands.map(\.name) }
        if command == "save" { pool += ["transcript"] }
        candidates = pool.filter { $0.hasPrefix(typed) }
    }
    candidateIndex = 0
    rl_attempted_completion_over = 1
    if candidates.count == 1, candidates[0].hasSuffix("=") { rl_completion_suppress_append = 1 }
    return rl_completion_matches(text) { _, state in
        if state == 0 { candidateIndex = 0 }
        guard candidateIndex < candidates.count else { return nil }
        defer { candidateIndex += 1 }
        return strdup(candidates[candidateIndex])
    }
}
