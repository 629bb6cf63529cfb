/// HostileScripts are the opening lines of the transcripts the redaction tests' hostile servers
/// play (with `TranscriptServer`), so that each test writes only the replies that quote a secret.
public enum HostileScripts {
    /// The greeting, an EHLO answered with STARTTLS, the handshake (`@tls`) and the EHLO after it;
    /// the reply to that EHLO is the test's.
    public static let startTLS = """
        220 hostile.example ESMTP
        > EHLO client.example.com
        250-hostile.example
        250 STARTTLS
        > STARTTLS
        220 go ahead
        @tls
        > EHLO client.example.com
        """

    /// `startTLS`, its EHLO answered with AUTH PLAIN LOGIN, and `AUTH PLAIN {secret}`; the reply
    /// to AUTH is the test's.
    public static let authPlain = startTLS + """

        250-hostile.example
        250 AUTH PLAIN LOGIN
        > AUTH PLAIN {secret}
        """
}
