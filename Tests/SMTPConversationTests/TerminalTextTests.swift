import Testing

@testable import SMTPConversation

/// TerminalText: what a terminal would act on is escaped, everything else is left alone.
@Suite("Terminal text escaping")
struct TerminalTextTests {
    @Test("C0, DEL, C1, line separators and bidi controls are escaped", arguments: [
        ("\u{1B}]0;pwned\u{07}\u{1B}[2J", "\\x1B]0;pwned\\x07\\x1B[2J"),
        ("a\r\nstatus: sent", "a\\r\\nstatus: sent"),
        ("tab\there\u{7F}", "tab\\there\\x7F"),
        ("c1 \u{9B}31m", "c1 \\u{009B}31m"),
        ("p\u{2028}status: sent\u{2029}", "p\\u{2028}status: sent\\u{2029}"),
        ("invoice\u{202E}fdp.exe", "invoice\\u{202E}fdp.exe"),
        ("\u{2066}x\u{2069}\u{200F}\u{061C}", "\\u{2066}x\\u{2069}\\u{200F}\\u{061C}"),
        ("nul\u{0}", "nul\\x00"),
    ])
    func escaped(_ input: String, _ expected: String) {
        #expect(TerminalText.escaped(input) == expected)
    }

    @Test("printable text, Japanese and emoji are unchanged; line breaks kept only when asked")
    func unchanged() {
        for text in ["250 2.0.0 OK", "件名: こんにちは", "ünïcödé ✓ 📨", ""] { #expect(TerminalText.escaped(text) == text) }
        #expect(TerminalText.escaped("line 1\n\tline 2\r\n", keepingLineBreaks: true) == "line 1\n\tline 2\\r\n")
        #expect(TerminalText.escaped("a\u{2028}b", keepingLineBreaks: true) == "a\\u{2028}b")
    }
}
