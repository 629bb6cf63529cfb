import Foundation
import PLSQL
import SMTPConversation

/// ConnectTo is one `--connect-to HOST:PORT=HOST2:PORT2`: a connection the code opens to
/// HOST:PORT goes to HOST2:PORT2, while TLS still verifies the certificate against HOST (as
/// curl's option does).
struct ConnectTo {
    var from: (host: String, port: Int)
    var to: (host: String, port: Int)

    /// Reads `HOST:PORT=HOST2:PORT2`.
    init(parsing text: String) throws(ScriptError) {
        let sides = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard sides.count == 2 else { throw .usage("--connect-to takes HOST:PORT=HOST2:PORT2, not \(text)") }
        func endpoint(_ side: String) throws(ScriptError) -> (String, Int) {
            guard let parsed = try? HostPort(parsing: side), let port = (try? parsed.port()) ?? nil, !parsed.host.isEmpty else {
                throw .usage("--connect-to takes HOST:PORT=HOST2:PORT2; \(side) is not HOST:PORT")
            }
            return (parsed.host, port)
        }
        from = try endpoint(sides[0])
        to = try endpoint(sides[1])
    }

    /// The place a connection to `host`:`port` goes, and the name TLS verifies.
    static func route(_ host: String, _ port: Int, through rules: [ConnectTo]) -> (host: String, port: Int, verify: String?) {
        guard let rule = rules.first(where: { $0.from.host.lowercased() == host.lowercased() && $0.from.port == port }) else {
            return (host, port, nil)
        }
        return (rule.to.host, rule.to.port, host)
    }
}

/// PLSQLSession is the world a PL/SQL program talks to in smtp-repl: its UTL_SMTP calls go
/// through the REPL's `Session` (its printer, recorder, trust and wallet), DBMS_OUTPUT is
/// printed in order with the conversation, `--connect-to` and `--wallet` apply.
final class PLSQLSession: PLSQLHost {
    let session: Session
    let connectTo: [ConnectTo]
    /// `--wallet file:DIR`: replaces the wallet path the code gives.
    let walletOverride: String?
    /// `--wallet-password-env NAME`'s value: replaces the code's wallet password.
    let walletPasswordOverride: String?
    private(set) var connections: [Int: SMTPConnection] = [:]
    private var nextHandle = 1

    init(session: Session, connectTo: [ConnectTo], walletOverride: String?, walletPasswordOverride: String?) {
        self.session = session
        self.connectTo = connectTo
        self.walletOverride = walletOverride
        self.walletPasswordOverride = walletPasswordOverride
    }

    func output(_ line: String) { session.printer.plain(line) }

    func note(_ text: String) { session.printer.info(text) }

    func now() -> (seconds: Double, zoneOffset: Int) {
        let date = Date()
        let offset = TimeZone.current.secondsFromGMT(for: date)
        return (date.timeIntervalSince1970 + Double(offset), offset)
    }

    func openConnection(_ request: OpenConnectionRequest) throws(SMTPError) -> (handle: Int, greeting: Reply) {
        let route = ConnectTo.route(request.host, request.port, through: connectTo)
        if route.verify != nil { note("--connect-to: \(request.host):\(request.port) goes to \(route.host):\(route.port); TLS verifies \(request.host)") }
        var tls = TLSConfiguration(trust: session.defaultTrust)
        if let path = walletOverride ?? request.walletPath {
            let password = walletPasswordOverride ?? request.walletPassword
            do throws(ScriptError) {
                tls.trust = try session.walletTrust(path: path, password: password)
            } catch {
                throw SMTPError(.invalidArgument(field: "wallet_path", reason: error.message),
                                context: SMTPError.Context(host: request.host, port: request.port, step: "open_connection"))
            }
        }
        let options = SMTPConnection.Options(tls: tls, observer: session.connectionObserver)
        let connection = try SMTPConnection.openConnection(
            // No tx_timeout in the code: 60 s, the REPL's default, rather than Oracle's wait forever
            // (a silent server must not hang the run).
            host: route.host, port: route.port, txTimeout: request.txTimeout ?? 60,
            secureConnectionBeforeSMTP: request.secureConnectionBeforeSMTP,
            secureHost: request.secureHost ?? route.verify, options: options)
        let handle = nextHandle
        nextHandle += 1
        connections[handle] = connection
        return (handle, connection.greeting)
    }

    func smtp(_ handle: Int, _ call: SMTPCall) throws(SMTPError) -> Reply? {
        guard let connection = connections[handle], !connection.isClosed else {
            if case .closeConnection = call { return nil }
            throw SMTPError(.invalidOperation("the connection is closed; call open_connection again"))
        }
        let calls = connection.returningReplies
        switch call {
        case .helo(let domain): return try calls.helo(domain)
        case .ehlo(let domain): return try calls.ehlo(domain)
        case .starttls: return try connection.starttls()
        case .auth(let username, let password, let schemes): return try calls.auth(Credentials(username: username, password: password), schemes: schemes)
        case .mail(let sender, let parameters): return try calls.mail(from: sender, parameters: parameters)
        case .rcpt(let recipient, let parameters): return try calls.rcpt(to: recipient, parameters: parameters)
        case .data(let body): return try calls.data(String(decoding: body, as: UTF8.self))
        case .openData: return try calls.openData()
        case .writeData(let bytes), .writeRawData(let bytes):
            try connection.writeRawData(bytes)
            return nil
        case .closeData: return try calls.closeData()
        case .rset: return try calls.rset()
        case .vrfy(let address): return try calls.vrfy(address)
        case .noop: return try calls.noop()
        case .help(let topic): return try calls.help(topic)
        case .quit:
            let reply = try calls.quit()
            connections[handle] = nil
            return reply
        case .command(let line, let argument), .commandReplies(let line, let argument): return try calls.command(line, argument: argument)
        case .closeConnection:
            connection.closeConnection()
            connections[handle] = nil
            return nil
        }
    }

    /// Closes what the program left open (an unhandled exception skips its QUIT).
    func closeAll() {
        for (_, connection) in connections.sorted(by: { $0.key < $1.key }) where !connection.isClosed {
            note("closing the connection to \(connection.host):\(connection.port) the program left open")
            connection.closeConnection()
        }
        connections = [:]
    }
}
