import SMTPConversation

/// OracleException is a PL/SQL exception in flight: Oracle's error number and text, the
/// `ORA-06512` frames it has passed, and the SMTP reply behind it when there is one.
public struct OracleException: Error, Sendable {
    /// The ORA number, positive (20000, 29279, 6502, 1403); 0 for a user-defined exception
    /// without `PRAGMA EXCEPTION_INIT`.
    public var number: Int
    /// The text after `ORA-nnnnn: `.
    public var message: String
    /// The declared exception it is, for user-defined ones.
    var identity: ObjectIdentifier?
    /// The name a user-defined exception was declared with.
    var declaredName: String?
    /// `at line 12`, `at "SCOTT.SEND_MAIL", line 30`: where it was raised, then its callers.
    public var frames: [String] = []
    /// The line it is at in the unit it is passing through, not yet a frame.
    var pendingLine: Int?
    /// The SMTP reply that raised it (the procedure forms of UTL_SMTP).
    public var reply: Reply?
    /// What the project knows about the failure underneath (a network or TLS error).
    public var detail: String?

    /// Creates an exception.
    public init(number: Int, message: String, reply: Reply? = nil, detail: String? = nil) {
        self.number = number
        self.message = message
        self.reply = reply
        self.detail = detail
    }

    /// `SQLCODE`: the negative ORA number; +100 for NO_DATA_FOUND; 1 for a user-defined exception.
    public var sqlcode: Int {
        if number == 1403 { return 100 }
        if number == 0 { return 1 }
        return -number
    }

    /// `SQLERRM`: `ORA-20000: text`, or `User-Defined Exception`.
    public var sqlerrm: String {
        number == 0 ? "User-Defined Exception" : Self.code(number) + ": " + message
    }

    /// `ORA-01403` for 1403.
    public static func code(_ number: Int) -> String {
        let digits = String(number)
        return "ORA-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// The report Oracle prints for an unhandled exception: the error, then each `ORA-06512` frame.
    public var report: [String] {
        [number == 0 ? "ORA-06510: PL/SQL: unhandled user-defined exception" : sqlerrm] + frames.map { "ORA-06512: " + $0 }
    }

    // MARK: - Predefined exceptions

    /// The exceptions of STANDARD and UTL_SMTP, by name, with their number and text.
    public static let predefined: [String: (Int, String)] = [
        "NO_DATA_FOUND": (1403, "no data found"),
        "TOO_MANY_ROWS": (1422, "exact fetch returns more than requested number of rows"),
        "VALUE_ERROR": (6502, "PL/SQL: numeric or value error"),
        "ZERO_DIVIDE": (1476, "divisor is equal to zero"),
        "INVALID_NUMBER": (1722, "invalid number"),
        "CASE_NOT_FOUND": (6592, "CASE not found while executing CASE statement"),
        "COLLECTION_IS_NULL": (6531, "Reference to uninitialized collection"),
        "SUBSCRIPT_BEYOND_COUNT": (6533, "Subscript beyond count"),
        "SUBSCRIPT_OUTSIDE_LIMIT": (6532, "Subscript outside of limit"),
        "PROGRAM_ERROR": (6501, "PL/SQL: program error"),
        "STORAGE_ERROR": (6500, "PL/SQL: storage error"),
        "DUP_VAL_ON_INDEX": (1, "unique constraint violated"),
        "INVALID_CURSOR": (1001, "invalid cursor"),
        "ACCESS_INTO_NULL": (6530, "Reference to uninitialized composite"),
        "INVALID_OPERATION": (29277, "invalid SMTP operation"),
        "TRANSIENT_ERROR": (29278, "SMTP transient error"),
        "PERMANENT_ERROR": (29279, "SMTP permanent error"),
    ]

    /// A predefined exception raised with its own text.
    public static func named(_ name: String, _ extra: String? = nil) -> OracleException {
        let (number, text) = predefined[name] ?? (6501, "PL/SQL: program error")
        return OracleException(number: number, message: extra.map { text + ": " + $0 } ?? text)
    }

    /// ORA-06502 with Oracle's wording for what went wrong.
    public static func valueError(_ what: String) -> OracleException {
        OracleException(number: 6502, message: "PL/SQL: numeric or value error: " + what)
    }
}
