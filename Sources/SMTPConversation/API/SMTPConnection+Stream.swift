extension SMTPConnection {
    /// Opens a connection over an in-memory stream (`MemoryStream.pair()`) and reads the
    /// greeting: the seam protocol tests use to pair a scripted server with the exact bytes the
    /// client sends, with no socket. STARTTLS is not available over it.
    /// - Throws: as `openConnection` does for the greeting.
    package static func open(over stream: MemoryStream, host: String = "memory", port: Int = 25, txTimeout: Double? = 10,
                             options: Options = Options()) throws(SMTPError) -> SMTPConnection {
        let connection = SMTPConnection(
            host: host, port: port, txTimeout: txTimeout, options: options, socket: Socket(fd: -1, remoteAddress: "memory"),
            stream: stream, isTLS: false)
        do throws(SMTPError) { try connection.readGreeting() } catch {
            throw error.filling(connection.context("open_connection"))
        }
        return connection
    }
}
