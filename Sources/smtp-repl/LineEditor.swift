import CSystem
import Foundation
import LineEditing

/// LineEditor is GNU readline with persistent history (`~/.smtp_repl_history`) and tab
/// completion of commands and parameter names.
final class LineEditor {
    let historyPath: String

    init(historyPath: String = (ProcessInfo.processInfo.environment["SMTP_REPL_HISTORY"]
        ?? ((ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".smtp_repl_history")))
    {
        self.historyPath = historyPath
        Readline.configure(name: "smtp-repl", completer: completions)
        Self.endPromptlyOnSignals()
        Readline.discardLineOnInterrupt { csystem_take_interrupt() != 0 }
        Readline.startHistory()
        if FileManager.default.fileExists(atPath: historyPath) {
            Readline.readHistory(historyPath)
        } else {
            // appendHistory only appends to a file that exists.
            Readline.writeHistory(historyPath)
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
        Readline.onLineStart { csystem_reclaim_terminating_signals() }
    }

    /// Reads a line with the prompt; nil at end of input (Ctrl-D). Message lines (`data>`) stay
    /// out of the history: `remember` false. A remembered line is kept with its secrets hidden
    /// (`auth … password={secret}`): the history file must never hold a password.
    /// `answersChallenge`: a raw AUTH waits for its answer, so the line is kept as
    /// `command {secret}` (see `LineRedaction`).
    /// Ctrl-C discards the line typed (`lineWasInterrupted`, the line ""); elsewhere (a command
    /// running, the password prompt) it still ends the REPL at once.
    func readLine(prompt: String, remember: Bool = true, answersChallenge: Bool = false) -> String? {
        csystem_note_interrupts_only(1)
        let read = Readline.readLine(prompt: prompt)
        csystem_note_interrupts_only(0)
        guard let line = read else { return nil }
        if remember, !lineWasInterrupted, !line.trimmingCharacters(in: .whitespaces).isEmpty {
            Readline.addHistory(LineRedaction.redacted(line, answersChallenge: answersChallenge))
            Readline.appendHistory(1, to: historyPath)
        }
        return line
    }

    /// lineWasInterrupted is true when the last `readLine` ended with Ctrl-C: nothing to run.
    var lineWasInterrupted: Bool { Readline.lineWasInterrupted }

    /// Replaces the line just typed on the terminal with `shown` (its secrets hidden): the
    /// answer to a raw AUTH challenge must not stay on the screen or in the scrollback.
    func retype(prompt: String, typed: String, shown: String) {
        guard isatty(1) == 1 else { return }
        let width = Readline.screenColumns
        // The rows the prompt and the typed line took, wrapped at the terminal's width.
        let used = max(1, (prompt.count + typed.count + width - 1) / width)
        var text = ""
        for _ in 0..<used { text += "\u{1B}[1A\r\u{1B}[2K" }
        text += prompt + shown + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes the history file anew (creating it on first use).
    func saveHistory() {
        Readline.writeHistory(historyPath)
        Readline.truncateHistory(historyPath, to: 1000)
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

/// The completions of the word being typed: commands first, then the command's parameters.
private func completions(before: String, typed: String) -> [String] {
    let words = before.split(separator: " ").map(String.init)
    guard !words.isEmpty else { return Catalog.commands.map(\.name).filter { $0.hasPrefix(typed) } }
    let command = words[0].lowercased()
    var pool = Catalog.find(command)?.parameters ?? []
    if command == "show" { pool += ["capabilities", "state", "cert", "transcript"] }
    if command == "help" { pool += Catalog.commands.map(\.name) }
    if command == "save" { pool += ["transcript"] }
    return pool.filter { $0.hasPrefix(typed) }
}
