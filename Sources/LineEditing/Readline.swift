import CReadline
import Foundation

/// Readline is the small Swift face of GNU readline and its history that `smtp-repl` uses, so
/// the REPL itself touches no C global state and compiles in Swift 6 language mode.
///
/// readline is one line editor per process, kept in C globals: use it from one thread (the
/// REPL's). The completion and line-start closures are kept here for readline's C callbacks.
public enum Readline {
    /// Completer returns the candidates for the word being typed (`typed`), given the line up
    /// to the start of that word (`before`).
    public typealias Completer = (_ before: String, _ typed: String) -> [String]

    /// Sets the program name (for `~/.inputrc` conditionals) and the tab completion.
    public static func configure(name: String, completer: @escaping Completer) {
        creadline_set_name(UnsafePointer(strdup(name)))
        State.completer = completer
        creadline_set_completion { text, start, _ in Readline.complete(text, start) }
    }

    /// Runs `hook` each time readline starts a line, after it installed its signal handlers.
    public static func onLineStart(_ hook: @escaping () -> Void) {
        State.lineStart = hook
        creadline_set_startup_hook {
            State.lineStart?()
            return 0
        }
    }

    /// Reads a line with `prompt`; nil at end of input (Ctrl-D). After `discardLineOnInterrupt`,
    /// a line Ctrl-C discarded comes back as "" with `lineWasInterrupted` true.
    public static func readLine(prompt: String) -> String? {
        State.interruptedLine = false
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return State.interruptedLine ? "" : String(cString: raw)
    }

    /// lineWasInterrupted is true when the last `readLine` ended with Ctrl-C rather than Enter.
    public static var lineWasInterrupted: Bool { State.interruptedLine }

    /// Makes Ctrl-C at the prompt discard the line being typed, as a shell does, instead of
    /// leaving it to the application's SIGINT handler to end the program. readline handles the
    /// signal as usual (it shows `^C`, puts the terminal back and calls the application's
    /// handler); when that handler returns and `interrupted` then says it noted the signal, the
    /// line is emptied and accepted: `readLine` returns "" and `lineWasInterrupted` is true.
    public static func discardLineOnInterrupt(when interrupted: @escaping () -> Bool) {
        State.interrupted = interrupted
        creadline_set_getc { stream in Readline.readKey(stream) }
    }

    /// readline's key reader (one byte per read, as its own `rl_getc`), which also lets readline
    /// act on a signal that interrupted the read and ends the line after a noted Ctrl-C.
    private static func readKey(_ stream: UnsafeMutablePointer<FILE>?) -> Int32 {
        let descriptor = stream.map { fileno($0) } ?? 0
        while true {
            if State.interrupted?() == true {
                State.interruptedLine = true
                rl_replace_line("", 0)
                return Int32(UInt8(ascii: "\n"))  // accept-line, with the line emptied
            }
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count == 1 { return Int32(byte) }
            if count == 0 { return EOF }
            switch errno {
            case EINTR:
                rl_check_signals()  // SIGINT: ^C, the terminal restored, the application's handler
            case EAGAIN, EWOULDBLOCK:
                // Someone left the terminal non-blocking: wait for keys as readline does.
                let flags = fcntl(descriptor, F_GETFL)
                guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else { return EOF }
            default:
                return EOF
            }
        }
    }

    /// Starts the history list.
    public static func startHistory() { using_history() }
    /// Adds `line` to the history list.
    public static func addHistory(_ line: String) { add_history(line) }
    /// Reads the history file at `path` into the list.
    public static func readHistory(_ path: String) { read_history(path) }
    /// Writes the whole list to `path`, creating the file.
    public static func writeHistory(_ path: String) { write_history(path) }
    /// Appends the last `count` entries to the file at `path` (which must exist).
    public static func appendHistory(_ count: Int, to path: String) { append_history(Int32(count), path) }
    /// Keeps only the last `lines` entries of the file at `path`.
    public static func truncateHistory(_ path: String, to lines: Int) { history_truncate_file(path, Int32(lines)) }

    /// The terminal's width in columns, as readline sees it (at least 1).
    public static var screenColumns: Int {
        var rows: Int32 = 0
        var columns: Int32 = 0
        rl_get_screen_size(&rows, &columns)
        return max(Int(columns), 1)
    }

    /// What readline's C callbacks need; touched only from the thread that runs readline.
    private enum State {
        nonisolated(unsafe) static var completer: Completer?
        nonisolated(unsafe) static var lineStart: (() -> Void)?
        nonisolated(unsafe) static var interrupted: (() -> Bool)?
        nonisolated(unsafe) static var interruptedLine = false
        nonisolated(unsafe) static var candidates: [String] = []
        nonisolated(unsafe) static var index = 0
    }

    private static func complete(_ text: UnsafePointer<CChar>?, _ start: Int32)
        -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    {
        let typed = text.map { String(cString: $0) } ?? ""
        let line = creadline_line_buffer().map { String(cString: $0) } ?? ""
        let before = String(line.utf8.prefix(Int(start))) ?? ""
        State.candidates = State.completer?(before, typed) ?? []
        State.index = 0
        creadline_completion_over()
        if State.candidates.count == 1, State.candidates[0].hasSuffix("=") { creadline_suppress_append() }
        return rl_completion_matches(text) { _, state in
            if state == 0 { State.index = 0 }
            guard State.index < State.candidates.count else { return nil }
            defer { State.index += 1 }
            return strdup(State.candidates[State.index])
        }
    }
}
