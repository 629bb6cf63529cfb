import SMTPConversation

/// UTLSMTP holds UTL_SMTP's types and the rules that turn the library's errors into
/// Oracle's exceptions.
enum UTLSMTP {
    static let connectionName = "UTL_SMTP.CONNECTION"
    static let replyName = "UTL_SMTP.REPLY"
    static let repliesName = "UTL_SMTP.REPLIES"
    static let connectionType = PLType.record(connectionName, [
        ("HOST", .varchar2(255)), ("PORT", .integer), ("TX_TIMEOUT", .integer),
        ("PRIVATE_TCP_CON", .integer), ("PRIVATE_STATE", .integer),
    ])
    static let replyType = PLType.record(replyName, [("CODE", .integer), ("TEXT", .varchar2(508))])
    static let repliesType = PLType.table(repliesName, replyType)

    /// A reply as UTL_SMTP's record: the code, and the text of its last line.
    static func record(_ reply: Reply) -> Value {
        .record(Record(typeName: replyName, fields: [("CODE", .number(Double(reply.code))), ("TEXT", .text(reply.lines.last ?? ""))]))
    }

    /// A multi-line reply as UTL_SMTP's replies: one record per line.
    static func records(_ reply: Reply) -> Value {
        var collection = Collection(typeName: repliesName)
        for (index, line) in reply.lines.enumerated() {
            collection.elements[.number(index + 1)] = .record(Record(typeName: replyName, fields: [("CODE", .number(Double(reply.code))), ("TEXT", .text(line))]))
        }
        return .collection(collection)
    }

    /// The exception the procedure form raises for a 4xx or 5xx reply.
    static func exception(for reply: Reply) -> OracleException {
        let text = "\(reply.code) \(reply.lines.last ?? "")"
        return reply.isTransientFailure
            ? OracleException(number: 29278, message: "SMTP transient error: " + text, reply: reply)
            : OracleException(number: 29279, message: "SMTP permanent error: " + text, reply: reply)
    }

    /// The exception UTL_SMTP raises where the library throws; the library's own account is
    /// kept as the detail (it never holds a secret).
    static func exception(for error: SMTPError) -> OracleException {
        if let reply = error.refusal, reply.isFailure {
            var exception = exception(for: reply)
            exception.detail = error.description
            return exception
        }
        switch error.code {
        case .network, .connectionClosed, .malformedReply, .lineTooLong:
            return OracleException(number: 29278, message: "SMTP transient error: 421 Service not available", detail: error.description)
        case .timeout:
            return OracleException(number: 29276, message: "transfer timeout", detail: error.description)
        case .tls:
            return OracleException(number: 29024, message: "Certificate validation failure", detail: error.description)
        case .invalidArgument where error.kind.field == "wallet_path":
            return OracleException(number: 28759, message: "failure to open file", detail: error.description)
        case .accessDenied:
            return OracleException(number: 24247, message: "network access denied by access control list (ACL)", detail: error.description)
        default:
            return OracleException(number: 29277, message: "invalid SMTP operation", detail: error.description)
        }
    }
}

extension Interpreter {
    /// The parameters of each UTL_SMTP subprogram after `c`, in Oracle's order.
    static let utlSMTPParameters: [String: [String]] = [
        "HELO": ["DOMAIN"], "EHLO": ["DOMAIN"], "STARTTLS": [], "AUTH": ["USERNAME", "PASSWORD", "SCHEMES"],
        "MAIL": ["SENDER", "PARAMETERS"], "RCPT": ["RECIPIENT", "PARAMETERS"], "DATA": ["BODY"], "OPEN_DATA": [],
        "WRITE_DATA": ["DATA"], "WRITE_RAW_DATA": ["DATA"], "CLOSE_DATA": [], "RSET": [], "VRFY": ["RECIPIENT"], "NOOP": [],
        "HELP": ["COMMAND"], "QUIT": [], "COMMAND": ["CMD", "ARG"], "COMMAND_REPLIES": ["CMD", "ARG"], "CLOSE_CONNECTION": [],
    ]

    /// A UTL_SMTP subprogram or constant; `statement` selects the procedure form.
    func utlSMTP(_ member: String, _ arguments: [Argument], _ scope: Scope, statement: Bool, line: Int) throws(OracleException) -> Value? {
        switch member {
        case "ALL_SCHEMES": return .string(SMTPConnection.allSchemes.joined(separator: " "))
        case "NON_CLEARTEXT_PASSWORD_SCHEMES": return .string(SMTPConnection.nonCleartextPasswordSchemes.joined(separator: " "))
        case "OPEN_CONNECTION": return try openConnection(arguments, scope, statement: statement)
        case "WRITE_TEXT":
            throw OracleException(number: 6550, message: "line \(line), column 1:\nPLS-00302: component 'WRITE_TEXT' must be declared (UTL_SMTP writes with WRITE_DATA and WRITE_RAW_DATA; WRITE_TEXT is UTL_TCP's)")
        default: break
        }
        guard let names = Self.utlSMTPParameters[member] else {
            throw OracleException(number: 6550, message: "line \(line), column 1:\nPLS-00302: component '\(member)' must be declared")
        }
        let given = try bind(arguments, to: ["C"] + names, in: "UTL_SMTP." + member, scope)
        guard case .record(let connection)? = given["C"], connection.typeName == UTLSMTP.connectionName else {
            throw OracleException(number: 6550, message: "PLS-00306: wrong number or types of arguments in call to '\(member)' (the first argument is the UTL_SMTP.connection)")
        }
        guard let handleNumber = try Conversions.number(connection["PRIVATE_TCP_CON"] ?? .null) else {
            throw OracleException(number: 29277, message: "invalid SMTP operation", detail: "\(member.lowercased()): the connection was never opened (call UTL_SMTP.open_connection first)")
        }
        let handle = Int(handleNumber)
        func string(_ name: String) throws(OracleException) -> String? { try Conversions.text(given[name] ?? .null) }
        func required(_ name: String) throws(OracleException) -> String {
            guard let text = try string(name) else {
                throw OracleException(number: 29277, message: "invalid SMTP operation", detail: "\(member.lowercased()): \(name.lowercased()) is NULL")
            }
            return text
        }
        func words(_ text: String?) -> [String] {
            (text ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
        let call: SMTPCall
        switch member {
        case "HELO": call = .helo(try required("DOMAIN"))
        case "EHLO": call = .ehlo(try required("DOMAIN"))
        case "STARTTLS": call = .starttls
        case "AUTH":
            call = .auth(username: try required("USERNAME"), password: try string("PASSWORD") ?? "",
                         schemes: words(try string("SCHEMES") ?? SMTPConnection.nonCleartextPasswordSchemes.joined(separator: " ")))
        case "MAIL": call = .mail(try required("SENDER"), parameters: words(try string("PARAMETERS")))
        case "RCPT": call = .rcpt(try required("RECIPIENT"), parameters: words(try string("PARAMETERS")))
        case "DATA": call = .data(Self.us7ascii(try string("BODY") ?? ""))
        case "OPEN_DATA": call = .openData
        case "WRITE_DATA": call = .writeData(Self.us7ascii(try string("DATA") ?? ""))
        case "WRITE_RAW_DATA":
            let data = try Conversions.coerce(given["DATA"] ?? .null, to: .raw(nil))
            guard case .raw(let bytes) = data else { return nil }
            call = .writeRawData(bytes)
        case "CLOSE_DATA": call = .closeData
        case "RSET": call = .rset
        case "VRFY": call = .vrfy(try required("RECIPIENT"))
        case "NOOP": call = .noop
        case "HELP": call = .help(try string("COMMAND"))
        case "QUIT": call = .quit
        case "COMMAND": call = .command(try required("CMD"), argument: try string("ARG"))
        case "COMMAND_REPLIES": call = .commandReplies(try required("CMD"), argument: try string("ARG"))
        default: call = .closeConnection
        }
        let reply: Reply?
        do throws(SMTPError) {
            reply = try host.smtp(handle, call)
        } catch {
            if let reply = error.refusal, reply.isFailure { lastFailure = reply }
            throw UTLSMTP.exception(for: error)
        }
        guard let reply else { return nil }
        lastReply = reply
        if reply.isFailure { lastFailure = reply }
        let many = ["EHLO", "HELP", "COMMAND_REPLIES"].contains(member)
        if statement {
            if reply.isFailure { throw UTLSMTP.exception(for: reply) }
            return nil
        }
        return many ? UTLSMTP.records(reply) : UTLSMTP.record(reply)
    }

    /// `OPEN_CONNECTION(host, port, tx_timeout, wallet_path, wallet_password,
    /// secure_connection_before_smtp, secure_host) RETURN connection`, or the form with
    /// `c OUT connection` third that returns the greeting.
    func openConnection(_ arguments: [Argument], _ scope: Scope, statement: Bool) throws(OracleException) -> Value? {
        let withOut = arguments.contains { $0.name == "C" } || isConnectionVariable(arguments.count > 2 && arguments[2].name == nil ? arguments[2].value : nil, scope)
        let names = ["HOST", "PORT", "TX_TIMEOUT", "WALLET_PATH", "WALLET_PASSWORD", "SECURE_CONNECTION_BEFORE_SMTP", "SECURE_HOST"]
        var rest = arguments
        var outTarget: Expression?
        if let index = rest.firstIndex(where: { $0.name == "C" }) {
            outTarget = rest.remove(at: index).value
        } else if withOut {
            outTarget = rest.remove(at: 2).value
        }
        let given = try bind(rest, to: names, in: "UTL_SMTP.OPEN_CONNECTION", scope)
        guard let host = try Conversions.text(given["HOST"] ?? .null) else {
            throw OracleException(number: 29277, message: "invalid SMTP operation", detail: "open_connection: host is NULL")
        }
        let port = try Conversions.number(given["PORT"] ?? .null) ?? 25
        guard port >= 1, port <= 65535 else { throw OracleException(number: 29261, message: "bad argument", detail: "open_connection: port \(Conversions.format(port))") }
        let request = OpenConnectionRequest(
            host: host, port: Int(port), txTimeout: try Conversions.number(given["TX_TIMEOUT"] ?? .null),
            walletPath: try Conversions.text(given["WALLET_PATH"] ?? .null), walletPassword: try Conversions.text(given["WALLET_PASSWORD"] ?? .null),
            secureConnectionBeforeSMTP: try Conversions.boolean(given["SECURE_CONNECTION_BEFORE_SMTP"] ?? .null) ?? false,
            secureHost: try Conversions.text(given["SECURE_HOST"] ?? .null))
        let opened: (handle: Int, greeting: Reply)
        do throws(SMTPError) {
            opened = try self.host.openConnection(request)
        } catch {
            if withOut, let reply = error.reply {
                lastReply = reply
                return UTLSMTP.record(reply)
            }
            throw UTLSMTP.exception(for: error)
        }
        lastReply = opened.greeting
        let connection = Value.record(Record(typeName: UTLSMTP.connectionName, fields: [
            ("HOST", .string(host)), ("PORT", .number(port)), ("TX_TIMEOUT", request.txTimeout.map { .number($0) } ?? .null),
            ("PRIVATE_TCP_CON", .number(Double(opened.handle))), ("PRIVATE_STATE", .number(0)),
        ]))
        if let outTarget {
            try assign(outTarget, connection, scope)
            return statement ? nil : UTLSMTP.record(opened.greeting)
        }
        return connection
    }

    func isConnectionVariable(_ expression: Expression?, _ scope: Scope) -> Bool {
        guard case .reference(let reference)? = expression, reference.selectors.isEmpty, let variable = scope.variable(reference.name),
            case .record(let name, _) = variable.type
        else { return false }
        return name == UTLSMTP.connectionName
    }

    /// WRITE_DATA's and DATA's conversion of VARCHAR2 to US7ASCII: a character outside ASCII
    /// becomes `?` (send it with WRITE_RAW_DATA and UTL_RAW.CAST_TO_RAW instead).
    static func us7ascii(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { bytes.append(scalar.isASCII ? UInt8(scalar.value) : UInt8(ascii: "?")) }
        return bytes
    }
}
