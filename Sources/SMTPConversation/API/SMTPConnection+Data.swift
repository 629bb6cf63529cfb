extension SMTPConnection {
    /// Sends a whole message: DATA, the body (dot-stuffed, bare LF turned into CRLF, bare CR
    /// refused) and the final `.` (UTL_SMTP's `data`). Returns the reply to the final dot.
    @discardableResult
    public func data(_ body: String) throws(SMTPError) -> Reply {
        try sendData(Array(body.utf8), raising: true)
    }

    /// Sends a whole message given as bytes.
    @discardableResult
    public func data(_ body: [UInt8]) throws(SMTPError) -> Reply {
        try sendData(body, raising: true)
    }

    func sendData(_ body: [UInt8], raising: Bool) throws(SMTPError) -> Reply {
        let opened = try exchange(.data, step: "data", raising: false)
        if let refused = SMTPError(refusing: opened, expected: 354, context: context("data")) {
            if raising { throw refused }
            return opened
        }
        // The body and the final dot go out in one write.
        let encoded: [UInt8]
        do throws(SMTPError) { encoded = try conversation.body(body) + conversation.endOfData() } catch {
            throw error.filling(context("data"))
        }
        emit(.sentData(encoded))
        try writeBytes(encoded, step: "data")
        let reply = try readReply(step: "data")
        if raising, let refused = SMTPError(refusing: reply, context: context("data")) { throw refused }
        return reply
    }

    /// Sends DATA and expects 354; the body follows with `writeData`/`writeRawData` and ends
    /// with `closeData` (UTL_SMTP's `open_data`).
    @discardableResult
    public func openData() throws(SMTPError) -> Reply {
        let reply = try exchange(.data, step: "open_data", raising: false)
        if let refused = SMTPError(refusing: reply, expected: 354, context: context("open_data")) { throw refused }
        return reply
    }

    /// Writes part of the body as text (UTF-8). Line ends may be LF or CRLF.
    public func writeData(_ text: String) throws(SMTPError) {
        try writeBody(Array(text.utf8), step: "write_data")
    }

    /// Writes part of the body as bytes, unchanged but for dot-stuffing and line ends.
    public func writeRawData<Bytes: Collection>(_ bytes: Bytes) throws(SMTPError) where Bytes.Element == UInt8 {
        try writeBody(bytes, step: "write_raw_data")
    }

    /// Ends the body with `.` and reads the server's verdict (UTL_SMTP's `close_data`).
    @discardableResult
    public func closeData() throws(SMTPError) -> Reply {
        try finishData(step: "close_data", raising: true)
    }

    /// Writes the last part of the body and the final `.` in one write, then reads the
    /// server's verdict: `writeRawData(lastBytes)` then `closeData()`, one system call (and one
    /// loopback wake-up) fewer per message. A bare CR in `lastBytes` is refused before anything
    /// is written.
    @discardableResult
    public func closeData<Bytes: Collection>(after lastBytes: Bytes) throws(SMTPError) -> Reply where Bytes.Element == UInt8 {
        try finishData(step: "close_data", raising: true, after: lastBytes)
    }

    func writeBody<Bytes: Collection>(_ bytes: Bytes, step: String) throws(SMTPError) where Bytes.Element == UInt8 {
        let encoded: [UInt8]
        do throws(SMTPError) { encoded = try conversation.body(bytes) } catch { throw error.filling(context(step)) }
        guard !encoded.isEmpty else { return }
        emit(.sentData(encoded))
        try writeBytes(encoded, step: step)
    }

    func finishData(step: String, raising: Bool) throws(SMTPError) -> Reply {
        try finishData(step: step, raising: raising, after: EmptyCollection())
    }

    func finishData<Bytes: Collection>(step: String, raising: Bool, after lastBytes: Bytes) throws(SMTPError) -> Reply
    where Bytes.Element == UInt8 {
        let ending = try ending(after: lastBytes, step: step)
        try writeBytes(ending, step: step)
        let reply = try readReply(step: step)
        if raising, let refused = SMTPError(refusing: reply, context: context(step)) { throw refused }
        return reply
    }

    /// The last body bytes (dot-stuffed) and the final dot, as they will be written (and shown
    /// to the observer).
    func ending<Bytes: Collection>(after lastBytes: Bytes, step: String) throws(SMTPError) -> [UInt8]
    where Bytes.Element == UInt8 {
        var ending: [UInt8]
        do throws(SMTPError) {
            ending = lastBytes.isEmpty ? [] : try conversation.body(lastBytes)
            ending.append(contentsOf: try conversation.endOfData())
        } catch { throw error.filling(context(step)) }
        emit(.sentData(ending))
        return ending
    }
}
