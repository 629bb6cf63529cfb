// smtp-bench — drives SMTPConversation as fast as one connection allows and prints one
// machine-readable line. It is what `scripts/bench` times against other SMTP clients; it is
// not a test.
//
//   smtp-bench --server HOST:PORT --messages N --size BYTES
//              [--starttls --ca PEM] [--user U --password-env VAR] [--from A] [--to B]
//       one connection: EHLO (STARTTLS + EHLO, AUTH when asked), N messages with the transaction
//       engine (SMTPConnection.send, each next message's envelope behind the final dot),
//       QUIT; prints `messages=N seconds=S rate=R` (the clock runs from connect to QUIT's
//       reply). Exits 1 if any message was not delivered.
//
//   smtp-bench --server HOST:PORT --handshakes N --ca PEM
//       N cycles of connect + EHLO + STARTTLS + TLS handshake + QUIT;
//       prints `handshakes=N seconds=S rate=R`.
//
// Exit codes: 0 done; 1 a message was refused or an SMTP/network/TLS error; 2 usage.
import SMTPConversation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Settings {
    var host = ""
    var port = 25
    var messages = 0
    var size = 1024
    var handshakes: Int?
    var starttls = false
    var caPath: String?
    var user: String?
    var passwordEnv: String?
    var from = "a@example.com"
    var to = "b@example.com"
    var helo = "bench.example.com"
    var timeout = 30.0
}

let usageText = """
    usage: smtp-bench --server HOST:PORT --messages N --size BYTES
                      [--starttls --ca PEM] [--user U --password-env VAR] [--from A] [--to B]
           smtp-bench --server HOST:PORT --handshakes N --ca PEM
    """

/// Writes a line to standard error (fd 2: the C `stderr` global is not concurrency-safe).
func warn(_ message: String) {
    let bytes = Array("smtp-bench: \(message)\n".utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        offset += written
    }
}

func fail(_ message: String, code: Int32) -> Never {
    warn(message)
    exit(code)
}

func usage(_ message: String) -> Never {
    fail("\(message)\n\(usageText)", code: 2)
}

func parse(_ arguments: [String]) -> Settings {
    var settings = Settings()
    var server: String?
    var index = 0
    func value(_ flag: String) -> String {
        index += 1
        guard index < arguments.count else { usage("\(flag) needs a value") }
        return arguments[index]
    }
    func integer(_ flag: String) -> Int {
        let text = value(flag)
        guard let number = Int(text), number >= 0 else { usage("\(flag): '\(text)' is not a count") }
        return number
    }
    while index < arguments.count {
        let flag = arguments[index]
        switch flag {
        case "--server": server = value(flag)
        case "--messages": settings.messages = integer(flag)
        case "--size": settings.size = integer(flag)
        case "--handshakes": settings.handshakes = integer(flag)
        case "--starttls": settings.starttls = true
        case "--ca": settings.caPath = value(flag)
        case "--user": settings.user = value(flag)
        case "--password-env": settings.passwordEnv = value(flag)
        case "--from": settings.from = value(flag)
        case "--to": settings.to = value(flag)
        case "--helo": settings.helo = value(flag)
        case "--timeout":
            let text = value(flag)
            guard let seconds = Double(text), seconds > 0 else { usage("--timeout: '\(text)' is not a duration") }
            settings.timeout = seconds
        case "-h", "--help":
            print(usageText)
            exit(0)
        default: usage("unknown argument '\(flag)'")
        }
        index += 1
    }
    guard let server else { usage("--server is required") }
    guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]),
        (1...65535).contains(port)
    else { usage("--server must be HOST:PORT, not '\(server)'") }
    settings.host = String(server[..<colon])
    settings.port = port
    if settings.handshakes != nil {
        settings.starttls = true
    } else if settings.messages == 0 {
        usage("--messages N (N > 0) or --handshakes N is required")
    }
    if settings.user != nil && !settings.starttls {
        usage("--user needs --starttls: the library refuses AUTH in cleartext")
    }
    if settings.user != nil && settings.passwordEnv == nil { usage("--user needs --password-env VAR") }
    return settings
}

/// The monotonic clock in seconds.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A message of `size` bytes (to within 2, when `size` leaves room for the header): a short
/// header, a blank line, then body lines of 76 characters plus CRLF; the last line may be shorter.
func makeMessage(size: Int, from: String, to: String) -> [UInt8] {
    var message = Array("From: <\(from)>\r\nTo: <\(to)>\r\nSubject: smtp-bench\r\n\r\n".utf8)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    var line = 0
    while message.count + 2 < size {
        let room = min(76, size - message.count - 2)
        for column in 0..<room { message.append(alphabet[(line + column) % alphabet.count]) }
        message += [13, 10]
        line += 1
    }
    return message
}

func formatted(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

func options(_ settings: Settings) -> SMTPConnection.Options {
    let trust: TrustSource = settings.caPath.map { .pemFile($0) } ?? .system
    return SMTPConnection.Options(tls: TLSConfiguration(trust: trust), allowCleartextAuth: false)
}

/// One connection, `messages` messages; returns the number delivered and the seconds taken.
func sendMessages(_ settings: Settings, password: String?) throws(SMTPError) -> (delivered: Int, seconds: Double) {
    let body = makeMessage(size: settings.size, from: settings.from, to: settings.to)
    let start = now()
    let connection = try SMTPConnection.openConnection(
        host: settings.host, port: settings.port, txTimeout: settings.timeout, options: options(settings))
    try connection.ehlo(settings.helo)
    if settings.starttls {
        try connection.starttls()
        try connection.ehlo(settings.helo)
    }
    if let user = settings.user, let password {
        try connection.auth(username: user, password: password, schemes: ["PLAIN", "LOGIN"])
    }
    if connection.capabilities?.pipelining != true {
        warn("note: the server does not advertise PIPELINING")
    }
    // The transaction engine pipelines across messages: the end of one and the next one's
    // MAIL/RCPT/DATA share a write.
    var delivered = 0
    let mail = MailTransaction(envelope: Envelope(sender: settings.from, recipients: [settings.to]), content: .bytes(body))
    for index in 0..<settings.messages {
        let result = try connection.send(mail, next: index + 1 < settings.messages ? mail : nil)
        if let failure = result.failure { throw failure }
        if result.isDelivered {
            delivered += 1
        } else {
            let reply = result.finalReply ?? result.dataReply ?? result.recipientReplies.first?.reply ?? result.mailReply
            warn("message \(index + 1) not delivered: \(reply.singleLine)")
        }
        if connection.isClosed { break }
    }
    try connection.quit()
    return (delivered, now() - start)
}

/// `count` cycles of connect, EHLO, STARTTLS (handshake, certificate verified), QUIT.
func handshakes(_ settings: Settings, count: Int) throws(SMTPError) -> Double {
    let start = now()
    for _ in 0..<count {
        let connection = try SMTPConnection.openConnection(
            host: settings.host, port: settings.port, txTimeout: settings.timeout, options: options(settings))
        try connection.ehlo(settings.helo)
        try connection.starttls()
        try connection.quit()
    }
    return now() - start
}

let settings = parse(Array(CommandLine.arguments.dropFirst()))
var password: String?
if let variable = settings.passwordEnv {
    guard let value = getenv(variable) else { fail("environment variable \(variable) is not set", code: 2) }
    password = String(cString: value)
}

do throws(SMTPError) {
    if let count = settings.handshakes {
        let seconds = try handshakes(settings, count: count)
        let rate = formatted(Double(count) / seconds, decimals: 1)
        print("handshakes=\(count) seconds=\(formatted(seconds, decimals: 3)) rate=\(rate)")
    } else {
        let (delivered, seconds) = try sendMessages(settings, password: password)
        let rate = formatted(Double(delivered) / seconds, decimals: 1)
        print("messages=\(delivered) seconds=\(formatted(seconds, decimals: 3)) rate=\(rate)")
        if delivered != settings.messages {
            fail("\(settings.messages - delivered) of \(settings.messages) messages were not delivered", code: 1)
        }
    }
} catch {
    fail("\(error)", code: 1)
}
