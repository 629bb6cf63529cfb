import SMTPConversation

/// OpenConnectionRequest is what `UTL_SMTP.OPEN_CONNECTION` was given.
public struct OpenConnectionRequest: Sendable {
    /// `host`.
    public var host: String
    /// `port` (default 25).
    public var port: Int
    /// `tx_timeout` in seconds; nil to wait forever.
    public var txTimeout: Double?
    /// `wallet_path` (`file:DIR`).
    public var walletPath: String?
    /// `wallet_password`.
    public var walletPassword: String?
    /// `secure_connection_before_smtp`: implicit TLS.
    public var secureConnectionBeforeSMTP: Bool
    /// `secure_host`: the name the certificate must carry.
    public var secureHost: String?
}

/// SMTPCall is one UTL_SMTP call on an open connection, its arguments already converted.
public enum SMTPCall: Sendable {
    /// HELO domain.
    case helo(String)
    /// EHLO domain.
    case ehlo(String)
    /// STARTTLS and the TLS handshake.
    case starttls
    /// AUTH with the first of `schemes` the server offers.
    case auth(username: String, password: String, schemes: [String])
    /// MAIL FROM.
    case mail(String, parameters: [String])
    /// RCPT TO.
    case rcpt(String, parameters: [String])
    /// A whole message (DATA, the body, the final dot).
    case data([UInt8])
    /// DATA, expecting 354.
    case openData
    /// Body bytes after WRITE_DATA's US7ASCII conversion.
    case writeData([UInt8])
    /// Body bytes as given.
    case writeRawData([UInt8])
    /// The final dot.
    case closeData
    /// RSET.
    case rset
    /// VRFY.
    case vrfy(String)
    /// NOOP.
    case noop
    /// HELP [command].
    case help(String?)
    /// QUIT.
    case quit
    /// Any command line.
    case command(String, argument: String?)
    /// Any command line; every reply line is wanted.
    case commandReplies(String, argument: String?)
    /// Close without QUIT.
    case closeConnection
}

/// PLSQLHost is the world a PL/SQL program talks to: the interpreter has no I/O of its own.
/// smtp-repl implements it with its session (real sockets, TLS, the console).
public protocol PLSQLHost: AnyObject {
    /// A `DBMS_OUTPUT` line.
    func output(_ line: String)
    /// A remark for people (a setting ignored, SQL skipped).
    func note(_ text: String)
    /// The wall clock: seconds since 1970 in local time, and the zone's offset in seconds.
    func now() -> (seconds: Double, zoneOffset: Int)
    /// Opens a connection and reads the greeting; throws as `SMTPConnection.openConnection` does.
    func openConnection(_ request: OpenConnectionRequest) throws(SMTPError) -> (handle: Int, greeting: Reply)
    /// Runs a call in its function form: the reply (a 4xx/5xx too), nil for the writes; throws
    /// for what is no reply (network, TLS, misuse).
    func smtp(_ handle: Int, _ call: SMTPCall) throws(SMTPError) -> Reply?
}
