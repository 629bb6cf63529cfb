import PLSQL
import SMTPConversation

/// FakeHost plays the world for the interpreter without sockets: it records DBMS_OUTPUT, notes
/// and every UTL_SMTP call, and answers each call with the next scripted reply.
final class FakeHost: PLSQLHost {
    var events: [String] = []
    var output: [String] { events.filter { !$0.hasPrefix("smtp:") && !$0.hasPrefix("note:") } }
    var calls: [SMTPCall] = []
    var replies: [Reply]
    var opened: [OpenConnectionRequest] = []
    var written: [UInt8] = []
    var clock = (seconds: 1_555_257_173.0, zoneOffset: 9 * 3600)  // Sun, 14 Apr 2019 15:52:53 +0900 (the seed's Date:)

    init(replies: [Reply] = []) { self.replies = replies }

    func output(_ line: String) { events.append(line) }
    func note(_ text: String) { events.append("note: " + text) }
    func now() -> (seconds: Double, zoneOffset: Int) { clock }

    func openConnection(_ request: OpenConnectionRequest) throws(SMTPError) -> (handle: Int, greeting: Reply) {
        opened.append(request)
        events.append("smtp: open \(request.host):\(request.port)")
        return (opened.count, replies.isEmpty ? Reply(220, "fake ESMTP") : replies.removeFirst())
    }

    func smtp(_ handle: Int, _ call: SMTPCall) throws(SMTPError) -> Reply? {
        calls.append(call)
        events.append("smtp: \(call)")
        switch call {
        case .writeData(let bytes), .writeRawData(let bytes):
            written += bytes
            return nil
        case .closeConnection:
            return nil
        default:
            return replies.isEmpty ? Reply(250, "2.0.0 OK") : replies.removeFirst()
        }
    }
}

/// Runs a SQL*Plus script against `host`; the unhandled exception, if any.
@discardableResult
func run(_ source: String, _ host: FakeHost, defines: [String: String] = [:], binds: [String: String] = [:]) throws -> OracleException? {
    let script = try SQLPlusScript(source, defines: defines)
    let interpreter = Interpreter(host: host, binds: binds)
    for unit in script.units {
        do throws(OracleException) { try interpreter.run(unit) } catch { return error }
    }
    return nil
}
