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
        if let capabilities, !capabilities.startTLS {
            lose()
            throw SMTPError(.tlsRequired(
                "the server did not advertise STARTTLS in its EHLO reply; refusing to continue without TLS"),
                context: context(step))
        }
        let reply = try exchange(.startTLS, step: step, raising: false)
        guard reply.code == 220 else {
            lose()
            var error = SMTPError(.tlsRequired(
                "the server answered STARTTLS with \(reply.singleLine); refusing to continue without TLS"),
                context: context(step))
            error.refusal = reply
            throw error
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
