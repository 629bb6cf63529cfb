/// ByteStream is what the connection reads from and writes to: plain TCP or TLS on top of it.
package protocol ByteStream: AnyObject {
    /// Reads what is available, waiting up to the deadline; an empty result means end of stream.
    func read(max: Int, deadline: Deadline) throws(SMTPError) -> [UInt8]
    /// Writes every byte, waiting up to the deadline.
    func write(_ bytes: [UInt8], deadline: Deadline) throws(SMTPError)
    /// Closes the stream (a TLS stream sends close_notify first).
    func close()
}

extension Socket: ByteStream {}
