extension SMTPConnection {
    /// Upgrades this connection to TLS with STARTTLS (RFC 3207), on the same socket
    /// (UTL_SMTP's `starttls`).
    ///
    /// TLS is required once asked for: if the server did not advertise STARTTLS in its latest
    /// EHLO, or answers anything but 220 (454, 501, …), this throws `tlsRequired` and closes
    /// the connection; it never continues in plaintext. After it, capabilities are forgotten
    /// and EHLO must be sent again.
    /// - Parameter secureHost: the name the certificate must carry; defaults to the one given to
    ///   `openConnection`, then the host.
    @discardableResult
    public func starttls(secureHost: String? = nil) throws(SMTPError) -> Reply {
        let step = "starttls"
        // The conversation refuses STARTTLS the server did not advertise, and closes on any
        // reply but 220: TLS is required once asked for.
        let reply = try exchange(.startTLS, step: step, raising: false)
        if let refused = conversation.closingError {
            lose()
            throw refused.filling(context(step))
        }
        var configuration = options.tls
        if let name = secureHost ?? self.secureHost { configuration.secureHost = name }
        do throws(SMTPError) {
            let tls = try TLSStream.connect(
                socket: socket, host: host, configuration: configuration,
                deadline: Deadline(seconds: options.connectTimeout ?? txTimeout))
            stream = tls
            peerCertificates = tls.peerChain
            try conversation.tlsEstablished()
            emit(.tlsEstablished(version: tls.protocolVersion, cipher: tls.cipher, peer: peerCertificates))
        } catch {
            lose()
            throw error.filling(context(step))
        }
        return reply
    }
}
