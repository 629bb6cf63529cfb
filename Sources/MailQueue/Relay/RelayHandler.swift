import Foundation
import SMTPConversation
import SMTPListener
import SMTPTranscript
import TrustStore

/// RelayHandler is what `mail-queue relay` decides for its SMTP server: relay users from the
/// wallet authenticate, each may use only its allowed envelope senders, and each accepted
/// message is committed to the queue as a raw message before the 250 that names its request id.
///
/// One log line per message and per session goes to `log`; with a record directory each
/// session's transcript (credentials redacted) is written there in the project's format.
public final class RelayHandler: SMTPServerHandler, @unchecked Sendable {
    /// The relay users.
    public let users: RelayUsers
    /// The upstream credential alias for users that name none (the relay's `--credential-alias`).
    public let defaultUpstream: String?
    /// Where session transcripts go; nil keeps none.
    public let recordDirectory: String?
    private let store: QueueStore
    private let lock = NSLock()
    private let log: @Sendable (String) -> Void
    private let clock: @Sendable () -> Date

    /// Creates the handler.
    /// - Parameters:
    ///   - store: the queue (used under a lock: one enqueue at a time).
    ///   - log: receives one line per message and per session.
    public init(users: RelayUsers, store: QueueStore, defaultUpstream: String?, recordDirectory: String? = nil,
                log: @escaping @Sendable (String) -> Void, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.users = users
        self.store = store
        self.defaultUpstream = defaultUpstream
        self.recordDirectory = recordDirectory
        self.log = log
        self.clock = clock
    }

    /// PLAIN and LOGIN are checked against the stored hash, CRAM-MD5 against the user's stored
    /// HMAC-MD5 context (a user without one fails it). An authorization identity other than the
    /// user is refused.
    public func authenticate(_ attempt: SASLServerAttempt, session: SMTPServerSession) -> Reply? {
        let proven: Bool
        switch attempt.proof {
        case .password(let password):
            proven = users.check(login: attempt.username, password: password) != nil
        case .cramMD5(let challenge, let digest):
            proven = users.checkCramMD5(login: attempt.username, challenge: challenge, digest: digest) != nil
        }
        guard proven, attempt.authorizationIdentity == nil || attempt.authorizationIdentity == attempt.username else {
            log("relay: auth failed session=\(session.number) client=\(session.clientAddress) user=\(Self.quoted(attempt.username)) mechanism=\(attempt.mechanism)")
            return Reply(535, "5.7.8 Authentication credentials invalid")
        }
        return nil
    }

    /// The envelope sender must be one the user may use (its own address by default). A
    /// trusted client (`--trusted-client`) that did not authenticate acts as its network's user.
    public func mailFrom(_ request: MailFromRequest, session: SMTPServerSession) -> Reply? {
        guard let login = session.authenticatedUser ?? session.trustedUser, let user = users.byLogin[login] else {
            return Reply(530, "5.7.0 Authentication required")
        }
        guard user.allowsSender(request.reversePath) else {
            log("relay: sender refused session=\(session.number) client=\(session.clientAddress) user=\(Self.quoted(login)) from=<\(request.reversePath)>")
            return Reply(550, "5.7.1 Sender address <\(request.reversePath)> is not allowed for \(login)")
        }
        return nil
    }

    /// Any recipient: the upstream decides where mail may go.
    public func recipient(_ address: String, session: SMTPServerSession) -> Reply? { nil }

    /// Commits the message (a `Received:` field on top of the client's bytes, and `Date:` and
    /// `Message-ID:` when the client gave none, `SubmissionHeaders`) and names the request; a
    /// database error is 451 4.3.0 with nothing stored.
    public func message(_ message: ReceivedMessage, session: SMTPServerSession) -> Reply {
        let login = session.authenticatedUser ?? session.trustedUser ?? ""
        let upstream = users.byLogin[login]?.upstream ?? defaultUpstream
        let id = RequestID.make()
        let received = ReceivedHeader.field(
            clientDomain: session.clientDomain, clientAddress: session.clientAddress, hostname: session.hostname,
            tls: session.isTLS, authenticated: session.authenticatedUser != nil, id: id, recipients: message.recipients,
            date: clock())
        let added = SubmissionHeaders.missing(in: message.data, requestID: id, sender: message.mailFrom.reversePath, date: clock())
        let raw = RawMessage(sender: message.mailFrom.reversePath, recipients: message.recipients,
                             content: received + added + message.data, patternID: upstream)
        let messageID = RawMessage.headerValue("Message-ID", in: RawMessage.headerSection(of: raw.content)) ?? "-"
        let line = "relay: message session=\(session.number) client=\(session.clientAddress) user=\(Self.quoted(login)) message-id=\(messageID) size=\(message.data.count) rcpts=\(message.recipients.count)"
        do {
            lock.lock()
            defer { lock.unlock() }
            try store.enqueue(raw, id: id)
        } catch {
            switch error.kind {
            case .database, .schema, .configuration:
                log(line + " result=not-stored error=\(Self.quoted(error.description))")
                return Reply(451, "4.3.0 Temporary failure: the message was not stored; try again later")
            default:
                log(line + " result=refused error=\(Self.quoted(error.description))")
                return Reply(554, "5.6.0 Message refused: \(error.reason)")
            }
        }
        log(line + " request=\(id) result=queued")
        return Reply(250, "2.0.0 queued as \(id)")
    }

    /// Logs the session and writes its transcript when asked to.
    public func sessionEnded(_ summary: SMTPServerSummary) {
        let session = summary.session
        var line = "relay: session=\(session.number) client=\(session.clientAddress) listener=\(session.listener) user=\(Self.quoted(session.authenticatedUser ?? "-")) tls=\(session.isTLS ? "yes" : "no") accepted=\(summary.accepted) seconds=\(String(format: "%.3f", summary.seconds)) ending=\(Self.quoted(summary.ending))"
        if session.authenticatedUser == nil, let trusted = session.trustedUser { line += " trusted-as=\(Self.quoted(trusted))" }
        if summary.discardedAfterSTARTTLS > 0 { line += " discarded-after-starttls=\(summary.discardedAfterSTARTTLS)" }
        log(line)
        guard let recordDirectory, !summary.transcript.isEmpty else { return }
        let recorder = TranscriptRecorder(generalize: false)
        recorder.record(.note("relay session \(session.number) from \(session.clientAddress) on \(session.listener)"))
        for entry in summary.transcript {
            switch entry {
            case .client(let text): recorder.record(.sent(text))
            case .clientData(let bytes): recorder.record(.sentData(bytes))
            case .server(let reply): recorder.record(.received(reply))
            case .tls: recorder.record(.tlsEstablished(version: "", cipher: "", peer: []))
            }
        }
        let stamp = Int64(clock().timeIntervalSince1970 * 1000)
        let path = recordDirectory + "/session-\(stamp)-\(session.number).txt"
        let text = recorder.transcript.render()
        // Transcripts hold addresses and message text: readable by the owner only.
        if !FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) {
            log("relay: cannot write the transcript \(path)")
        }
    }

    static func quoted(_ text: String) -> String {
        text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || text.isEmpty
            ? "\"" + text.replacingOccurrences(of: "\"", with: "'") + "\"" : text
    }
}
