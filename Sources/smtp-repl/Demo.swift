import ArgumentParser
import Foundation
import SMTPConversation
import SMTPTranscript

/// `demo`: the seed's Office365 conversation, end to end, with no account and no network.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the seed's Office365 conversation (EHLO, STARTTLS, EHLO, AUTH LOGIN, MAIL, RCPT, DATA) through the REPL against a local transcript server over real TLS.")

    @Flag(help: "No colours.")
    var noColor = false

    @Option(help: ArgumentHelp("Write the session as a transcript (credentials redacted).", valueName: "FILE"))
    var record: String?

    static let script = """
        # The PL/SQL of seed 000, one REPL command per UTL_SMTP call.
        open_connection host=127.0.0.1 port=${DEMO_PORT} tx_timeout=60 secure_host=localhost
        ehlo client.example.com
        starttls
        ehlo client.example.com
        auth username=sender@example.com password=${DEMO_PASSWORD} schemes="LOGIN XOAUTH2"
        mail sender@example.com
        rcpt receiver@example.com
        data <<EOF
        Date: ${DEMO_DATE}
        From: sender@example.com
        To: receiver@example.com
        Message-ID: <demo.${DEMO_PORT}@client.example.com>
        Subject: subject
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii
        Content-Transfer-Encoding: 7bit

        content
        EOF
        expect 250
        quit
        """

    func run() throws {
        let printer = Printer(color: !noColor && Printer.wantsColor())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-repl-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = ["server.pem": Embedded.serverCertificate, "server.key": Embedded.serverKey, "ca.pem": Embedded.caCertificate]
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let transcript = try Transcript(parsing: Embedded.office365Transcript, name: "office365-starttls.txt")
        let server = try TranscriptServer(
            transcript: transcript, mode: .meaning, tlsCertificatePath: directory.appendingPathComponent("server.pem").path,
            tlsKeyPath: directory.appendingPathComponent("server.key").path, readTimeout: 30)
        server.start(connections: 1, acceptTimeout: 30)
        defer { server.stop() }
        printer.info("demo: a transcript server plays Office365 (fixtures/transcripts/office365-starttls.txt) on 127.0.0.1:\(server.port) with the test certificates")
        let session = Session(
            printer: printer,
            variables: ["DEMO_PORT": String(server.port), "DEMO_PASSWORD": "demo-password", "DEMO_DATE": rfc5322Date()],
            interactive: false)
        session.defaultTrust = .pemFile(directory.appendingPathComponent("ca.pem").path)
        var failure: ScriptError?
        do {
            for line in try Session.lines(of: Self.script, file: "demo") {
                printer.plain(session.prompt + line.text.trimmingCharacters(in: .whitespaces) + (line.hereDocument == nil ? "" : " <<EOF …"))
                try session.execute(line)
            }
        } catch {
            failure = error
        }
        session.connection?.closeConnection()
        if let record { try? session.save(session.recorder.transcript, to: record) }
        let outcome = server.waitForOutcome(timeout: 30)
        if let failure { fail(failure, printer: printer) }
        guard let outcome, outcome.followed else {
            printer.error("the server says the client left the transcript: \(outcome?.deviation?.description ?? outcome?.error ?? "no outcome")")
            throw ExitCode(1)
        }
        printer.info("demo: STARTTLS, the second EHLO, AUTH LOGIN and the message all went as in the seed; the password never appears in the transcript (show transcript / --record)")
    }
}
