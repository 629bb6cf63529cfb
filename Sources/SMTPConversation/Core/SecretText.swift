/// SecretText holds a password, an access or refresh token, or a client secret.
///
/// Everything that shows a value shows `<redacted>` instead: `description` (`print`,
/// interpolation), `debugDescription` (`String(reflecting:)`, `debugPrint`) and the `Mirror`
/// (`dump`, debuggers, anything that walks a value's children). The text itself is read with
/// `revealed`, only where it is sent: a SASL response, a token request, the wallet's encrypted
/// bag.
public struct SecretText: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable,
    ExpressibleByStringLiteral
{
    private let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }

    /// Wraps a literal (tests, fixed placeholders).
    public init(stringLiteral value: String) { self.value = value }

    /// The secret itself. Read it only to send it; never print, log or store it elsewhere.
    public var revealed: String { value }

    /// True when there is no secret (an auto-login wallet's password, a token-command credential).
    public var isEmpty: Bool { value.isEmpty }

    /// `<redacted>`.
    public var description: String { "<redacted>" }

    /// `<redacted>`.
    public var debugDescription: String { "<redacted>" }

    /// A mirror with no children: `dump` prints `<redacted>`.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: nil) }
}
