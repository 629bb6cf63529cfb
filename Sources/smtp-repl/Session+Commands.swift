import Foundation
import SMTPConversation
import SMTPTranscript

extension Session {
    func run(_ name: String, _ arguments: Arguments, _ line: ScriptLine) throws(ScriptError) {
        switch name {
        case "open_connection": try openConnection(arguments)
        case "helo", "ehlo":
            let connection = try requireConnection(name)
            let domain = try arguments.required("domain", position: 0)
            let calls = connection.returningReplies
            try settle(try smtp { name == "ehlo" ? try calls.ehlo(domain) : try calls.helo(domain) }, arguments, command: name)
        case "starttls":
            let connection = try requireConnection(name)
            lastReply = try smtp { try connection.starttls(secureHost: arguments.value("secure_host", position: 0)) }
        case "auth": try auth(arguments)
        case "mail":
            let connection = try requireConnection(name)
            let sender = try arguments.required("sender", position: 0)
            let parameters = Array(arguments.positional.dropFirst())
            try settle(try smtp { try connection.returningReplies.mail(from: sender, parameters: parameters) }, arguments, command: name)
        case "rcpt":
            let connection = try requireConnection(name)
            let recipient = try arguments.required("recipient", position: 0)
            let parameters = Array(arguments.positional.dropFirst())
            try settle(try smtp { try connection.returningReplies.rcpt(to: recipient, parameters: parameters) }, arguments, command: name)
        case "data": try data(arguments, line)
        case "open_data":
            let connection = try requireConnection(name)
            try settle(try smtp { try connection.returningReplies.openData() }, arguments, command: name)
        case "close_data":
            let connection = try requireConnection(name)
            try settle(try smtp { try connection.returningReplies.closeData() }, arguments, command: name)
        case "rset", "noop", "quit":
            let connection = try requireConnection(name)
            let calls = connection.returningReplies
            let reply = try smtp { () throws -> Reply in
                switch name {
                case "rset": return try calls.rset()
                case "noop": return try calls.noop()
                default: return try calls.quit()
                }
            }
            try settle(reply, arguments, command: name)
        case "vrfy":
            let connection = try requireConnection(name)
            let address = try arguments.required("address", position: 0)
            try settle(try smtp { try connection.returningReplies.vrfy(address) }, arguments, command: name)
        case "help": try help(arguments)
        case "command", "command_replies":
            let connection = try requireConnection(name)
            let text = arguments.positional.joined(separator: " ")
            guard !text.isEmpty else { throw .usage("\(name): give the command line, e.g. command \"XCLIENT NAME=x\"") }
            let reply = try smtp { try connection.returningReplies.command(text) }
            if name == "command_replies" {
                for (index, text) in reply.lines.enumerated() { printer.info("reply \(index + 1): \(reply.code) \(text)") }
            }
            try settle(reply, arguments, command: name)
        case "close_connection":
            connection?.closeConnection()
            connection = nil
        case "expect":
            guard let reply = lastReply else { throw ScriptError(exitCode: 1, message: "expect: no reply yet") }
            try check(reply, against: try arguments.required("code", position: 0), command: "expect")
        case "show": try show(arguments)
        case "explain": try explain(arguments)
        case "save":
            guard arguments.positional.first == "transcript", arguments.positional.count == 2 else {
                throw .usage("usage: save transcript FILE")
            }
            try save(recorder.transcript, to: arguments.positional[1])
        case "source":
            let path = try arguments.required("file", position: 0)
            guard sourceDepth < 16 else { throw .usage("source: nested too deeply (a file sourcing itself?)") }
            sourceDepth += 1
            defer { sourceDepth -= 1 }
            try runFile(path)
        case "exit":
            connection?.closeConnection()
            connection = nil
        default:
            throw .usage(Catalog.unknown(name))
        }
    }

    /// `write_data TEXT` (a line end added) and `write_raw_data TEXT` (escapes turned into
    /// bytes, nothing added): the text as typed, see `TextCommand`.
    func write(_ command: String, text: String) throws(ScriptError) {
        let connection = try requireConnection(command)
        if command == "write_data" {
            try smtp { try connection.writeData(text + "\r\n") }
        } else {
            try smtp { try connection.writeRawData(TextCommand.rawBytes(text)) }
        }
        if interactive, !printer.openDataLine.isEmpty {
            printer.info("(sent; the line is not ended yet, it is shown whole once it is)")
        }
    }

    /// Runs an SMTP call, turning its error into the script's exit code.
    @discardableResult
    func smtp<T>(_ body: () throws -> T) throws(ScriptError) -> T {
        do {
            return try body()
        } catch let error as SMTPError {
            throw ScriptError(exitCode: Self.exitCode(for: error), message: error.description)
        } catch let error as ScriptError {
            throw error
        } catch {
            throw ScriptError(exitCode: 3, message: "\(error)")
        }
    }

    private func openConnection(_ arguments: Arguments) throws(ScriptError) {
        var host = try arguments.required("host", position: 0)
        var portText = arguments.value("port", position: 1)
        // HOST:PORT (and [IPv6]:PORT), the form peers.env, --server and --listen use.
        if let (name, port) = Self.hostAndPort(host) {
            guard portText == nil else { throw .usage("open_connection: the port is given twice (\(host) and \(portText!))") }
            host = name
            portText = port
        }
        let portWord = portText ?? "25"
        guard let port = Int(portWord), (1...65535).contains(port) else { throw .usage("open_connection: port must be 1-65535, not \(portWord)") }
        var tls = TLSConfiguration(trust: defaultTrust)
        if let trust = arguments.named["trust"] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: trust, isDirectory: &isDirectory) else {
                throw .usage("open_connection: trust=\(trust) does not exist")
            }
            tls.trust = isDirectory.boolValue ? .pemDirectory(trust) : .pemFile(trust)
        }
        // UTL_SMTP.OPEN_CONNECTION's order: host, port, tx_timeout, wallet_path, wallet_password,
        // secure_connection_before_smtp, secure_host.
        // --wallet replaces the script's wallet path; --wallet-password-env its password.
        if let walletPath = walletOverride?.path ?? arguments.value("wallet_path", position: 3) {
            let walletPassword = walletOverride?.password ?? arguments.value("wallet_password", position: 4)
            tls.trust = try walletTrust(path: walletPath, password: walletPassword)
            wallet = (walletPath, walletPassword)
        } else {
            wallet = nil
        }
        let options = SMTPConnection.Options(
            tls: tls, allowCleartextAuth: try arguments.flag("allow_cleartext"),
            observer: connectionObserver)
        connection?.closeConnection()
        let timeout = try arguments.number("tx_timeout", position: 2)
        let implicit = try arguments.flag("secure_connection_before_smtp", position: 5)
        // --connect-to: the TCP connection goes elsewhere, TLS still verifies the host the script names.
        let route = ConnectTo.route(host, port, through: connectTo)
        if route.verify != nil { printer.info("--connect-to: \(host):\(port) goes to \(route.host):\(route.port); TLS verifies \(host)") }
        let secureHost = arguments.value("secure_host", position: 6) ?? route.verify
        do throws(SMTPError) {
            connection = try SMTPConnection.openConnection(
                host: route.host, port: route.port, txTimeout: timeout ?? 60, secureConnectionBeforeSMTP: implicit,
                secureHost: secureHost, options: options)
            lastReply = connection?.greeting
        } catch {
            if let reply = error.reply {
                lastReply = reply
                if let wanted = arguments.named["expect"] {
                    try check(reply, against: wanted, command: "open_connection")
                    return
                }
            }
            throw ScriptError(exitCode: Self.exitCode(for: error), message: error.description)
        }
        if let wanted = arguments.named["expect"], let reply = lastReply { try check(reply, against: wanted, command: "open_connection") }
    }

    /// `host:port` or `[v6]:port` split in two; nil for a bare host or IPv6 address.
    static func hostAndPort(_ text: String) -> (String, String)? {
        guard let parsed = try? HostPort(parsing: text), let port = parsed.portText else { return nil }
        return (parsed.host, port)
    }

    private func auth(_ arguments: Arguments) throws(ScriptError) {
        let connection = try requireConnection("auth")
        if let alias = arguments.named["credential"] {
            // A credential kept in the wallet: no secret in the script.
            let reply = try credentialAuth(
                alias: alias, username: arguments.value("username", position: 0),
                schemes: arguments.named["schemes"].map { Self.schemes($0) } ?? [],
                walletPath: arguments.named["wallet_path"] ?? wallet?.path,
                walletPassword: arguments.named["wallet_password"] ?? wallet?.password)
            try settle(reply, arguments, command: "auth")
            return
        }
        // UTL_SMTP.AUTH's order: username, password, schemes.
        let username = try arguments.required("username", position: 0)
        let schemesGiven = arguments.value("schemes", position: 2)
        let schemes = Self.schemes(schemesGiven)
        let credentials: Credentials
        if let token = arguments.named["token"] {
            credentials = Credentials(username: username, accessToken: token)
        } else if let password = arguments.value("password", position: 1) {
            credentials = Credentials(username: username, password: password)
        } else if interactive, let read = readSecret, let password = read("password for \(username): ") {
            credentials = Credentials(username: username, password: password)
        } else {
            throw .usage("auth: give password= (or token= for XOAUTH2), e.g. password=${SMTP_PASSWORD}")
        }
        let reply: Reply
        do {
            reply = try connection.returningReplies.auth(credentials, schemes: schemes)
        } catch {
            throw ScriptError(exitCode: Self.exitCode(for: error), message: error.description + Self.authHint(error, schemesGiven: schemesGiven != nil))
        }
        try settle(reply, arguments, command: "auth")
    }

    /// The AUTH schemes a `schemes` value names: words separated by spaces or commas, where
    /// `ALL_SCHEMES` and `NON_CLEARTEXT_PASSWORD_SCHEMES` (also `UTL_SMTP.`-qualified) stand
    /// for UTL_SMTP's constants; nil gives the default, `NON_CLEARTEXT_PASSWORD_SCHEMES`.
    static func schemes(_ text: String?) -> [String] {
        guard let text else { return SMTPConnection.nonCleartextPasswordSchemes }
        return text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).flatMap { word -> [String] in
            var name = word.uppercased()
            if name.hasPrefix("UTL_SMTP.") { name.removeFirst("UTL_SMTP.".count) }
            switch name {
            case "ALL_SCHEMES": return SMTPConnection.allSchemes
            case "NON_CLEARTEXT_PASSWORD_SCHEMES": return SMTPConnection.nonCleartextPasswordSchemes
            default: return [String(word)]
            }
        }
    }

    /// What to do about an AUTH refused before anything was sent, in the REPL's own terms.
    static func authHint(_ error: SMTPError, schemesGiven: Bool) -> String {
        switch error.code {
        case .noSupportedScheme where !schemesGiven && !(error.kind.schemes?.offered ?? []).isEmpty:
            let offered = error.kind.schemes?.offered ?? []
            return " (auth uses CRAM-MD5 unless schemes= names others, as UTL_SMTP does; over TLS give e.g. schemes=\"\(offered.joined(separator: " "))\")"
        case .cleartextAuthRefused:
            return " (in the REPL: starttls first, or open_connection … allow_cleartext=true to opt in)"
        default:
            return ""
        }
    }

    /// The error `command` (typed with a message to follow) would end with before sending
    /// anything: not connected, or DATA before an accepted recipient. The REPL says it before the
    /// message is typed rather than after.
    func refusalBeforeMessage(_ command: String) -> ScriptError? {
        let verb = command.split(separator: " ").first.map { $0.lowercased() } ?? ""
        guard verb == "data" else { return nil }
        do throws(ScriptError) {
            let connection = try requireConnection(verb)
            try smtp { try connection.check(.data) }
            return nil
        } catch {
            return error
        }
    }

    private func data(_ arguments: Arguments, _ line: ScriptLine) throws(ScriptError) {
        let connection = try requireConnection("data")
        var body: String
        if let document = line.hereDocument {
            body = ""
            for line in document { body += try lexer.expand(line) + "\r\n" }
        } else if let text = arguments.value("body", position: 0) {
            body = text
        } else if interactive, let read = readDataLine {
            // Refused now rather than after the message is typed; its lines are still read (a
            // pasted message must not run as commands) and dropped.
            let refusal = refusalBeforeMessage("data")
            if let refusal { printer.error(refusal.message + " (the lines up to a lone . are read and dropped)") }
            body = ""
            while let next = try read("data> "), next != "." { body += next + "\r\n" }
            if let refusal { throw ScriptError(exitCode: refusal.exitCode, message: "data: message dropped; nothing was sent") }
        } else {
            throw .usage("data: give the message as data <<EOF … EOF or data \"TEXT\"")
        }
        if let last = body.utf8.last, last != UInt8(ascii: "\n") { body += "\r\n" }
        try settle(try smtp { try connection.returningReplies.data(body) }, arguments, command: "data")
    }

    private func help(_ arguments: Arguments) throws(ScriptError) {
        if let topic = arguments.positional.first, let info = Catalog.find(topic) {
            var text = "\(info.usage)\n    \(info.summary)"
            if info.parameters.contains("expect=") {
                text += "\n    expect=CODE (e.g. expect=250, expect=5xx, expect=5.7.8): the reply wanted; another fails the script"
            }
            printer.plain(text)
            return
        }
        if let connection, !connection.isClosed {
            let reply = try smtp { try connection.returningReplies.help(arguments.positional.first) }
            lastReply = reply
            printer.info("(that was the server's HELP; REPL help: help COMMAND, e.g. help auth)")
            return
        }
        printer.plain("Commands (help COMMAND for details):")
        for info in Catalog.commands { printer.plain("  " + info.name.padding(toLength: 18, withPad: " ", startingAt: 0) + info.summary) }
    }

    private func show(_ arguments: Arguments) throws(ScriptError) {
        switch arguments.positional.first?.lowercased() {
        case "capabilities":
            guard let capabilities = connection?.capabilities else { printer.info("no capabilities: send ehlo first (STARTTLS forgets them)"); return }
            printer.plain("greeting: \(capabilities.greeting)")
            for item in capabilities.extensions { printer.plain("  " + ([item.keyword] + item.parameters).joined(separator: " ")) }
        case "state":
            guard let connection else { printer.plain("not connected"); return }
            printer.plain("host: \(connection.host) port \(connection.port) (\(connection.remoteAddress))")
            printer.plain("phase: \(connection.phase.rawValue)  tls: \(connection.isTLS)  authenticated: \(connection.isAuthenticated)")
            if let reply = lastReply { printer.plain("last reply: \(reply.singleLine)") }
        case "cert":
            guard let chain = connection?.peerCertificates, !chain.isEmpty else { printer.info("no certificate: not a TLS connection"); return }
            let now = Date().timeIntervalSince1970
            for (index, certificate) in chain.enumerated() {
                printer.plain("[\(index)] subject: \(certificate.subject)")
                printer.plain("    issuer:  \(certificate.issuer)")
                printer.plain("    valid:   \(rfc5322Date(certificate.notBefore)) to \(rfc5322Date(certificate.notAfter)) (\(Int((certificate.notAfter - now) / 86400)) days left)")
                if !certificate.subjectAlternativeNames.isEmpty { printer.plain("    names:   \(certificate.subjectAlternativeNames.joined(separator: ", "))") }
                printer.plain("    sha256:  \(certificate.sha256Fingerprint)")
            }
        case "transcript":
            printer.plain(recorder.transcript.render(), terminator: "")
        case "token":
            try showToken(arguments)
        default:
            throw .usage("usage: show capabilities|state|cert|transcript|token credential=ALIAS")
        }
    }

    func save(_ transcript: Transcript, to path: String) throws(ScriptError) {
        do throws(PrivateFile.Failure) {
            try PrivateFile.write(transcript.render(), to: path)
        } catch {
            throw ScriptError(exitCode: 2, message: error.description)
        }
    }
}

extension Printer {
    func plain(_ text: String, terminator: String) {
        var body = text
        if terminator.isEmpty, body.hasSuffix("\n") { body.removeLast() }
        plain(body)
    }
}
