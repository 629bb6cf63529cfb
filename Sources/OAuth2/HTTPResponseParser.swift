import Foundation

/// HTTPResponseParser frames an HTTP/1.x response from the bytes read so far: by
/// Content-Length, by chunked transfer coding, or (when neither is given) by the end of the stream.
enum HTTPResponseParser {
    /// The response when `bytes` hold all of it; nil when more must be read.
    /// - Parameter complete: the stream has ended (no more bytes will come).
    static func parse(_ bytes: [UInt8], complete: Bool) throws(OAuth2Error) -> HTTPSClient.Response? {
        guard let headEnd = find([13, 10, 13, 10], in: bytes, from: 0) else {
            if complete && !bytes.isEmpty { throw OAuth2Error(.malformedResponse, "the token endpoint's response has no complete HTTP header") }
            return nil
        }
        let lines = String(decoding: bytes[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw OAuth2Error(.malformedResponse, "the token endpoint did not answer with HTTP (status line '\(lines[0].prefix(60))')")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyStart = headEnd + 4
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            guard let body = try dechunk(Array(bytes[bodyStart...])) else {
                if complete { throw OAuth2Error(.malformedResponse, "the token endpoint's chunked response ended early") }
                return nil
            }
            return HTTPSClient.Response(status: status, headers: headers, body: body)
        }
        if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0 else {
                throw OAuth2Error(.malformedResponse, "the token endpoint sent Content-Length '\(lengthText)'")
            }
            guard bytes.count - bodyStart >= length else {
                if complete { throw OAuth2Error(.malformedResponse, "the token endpoint's response ended early", transient: true) }
                return nil
            }
            return HTTPSClient.Response(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length]))
        }
        return complete ? HTTPSClient.Response(status: status, headers: headers, body: Array(bytes[bodyStart...])) : nil
    }

    /// The body of a chunked message; nil until the last chunk has arrived.
    static func dechunk(_ bytes: [UInt8]) throws(OAuth2Error) -> [UInt8]? {
        var body: [UInt8] = []
        var offset = 0
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: offset) else { return nil }
            let sizeText = String(decoding: bytes[offset..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw OAuth2Error(.malformedResponse, "the token endpoint sent a bad chunk size")
            }
            let start = lineEnd + 2
            if size == 0 { return body }
            guard bytes.count >= start + size + 2 else { return nil }
            body += bytes[start..<start + size]
            offset = start + size + 2
        }
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = from
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0] && Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
