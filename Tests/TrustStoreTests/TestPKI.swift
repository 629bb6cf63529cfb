import Foundation

@testable import TrustStore

/// TestPKI makes certificates at test time, relative to now, with the `openssl` CLI: roots with
/// chosen lifetimes, re-issued and cross-signed roots, intermediates and localhost servers.
struct TestPKI {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try "[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=placeholder\n".write(
            toFile: directory.file("openssl.cnf"), atomically: true, encoding: .utf8)
    }

    func path(_ name: String) -> String { directory.file(name) }

    /// A new EC P-256 key (fast to make; RSA adds seconds per test) `NAME.key`.
    func key(_ name: String) throws {
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("\(name).key")])
    }

    /// A self-signed root `NAME.pem` valid for `days` (key `KEYNAME.key`, made if missing).
    func root(_ name: String, subject: String, days: Int, key keyName: String? = nil, backdate: Int = 0) throws {
        let keyName = keyName ?? name
        if !FileManager.default.fileExists(atPath: path("\(keyName).key")) { try key(keyName) }
        var arguments = ["req", "-config", path("openssl.cnf"), "-x509", "-new", "-key", path("\(keyName).key"), "-sha256",
                         "-days", String(days), "-subj", subject,
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                         "-addext", "subjectKeyIdentifier=hash", "-out", path("\(name).pem")]
        if backdate > 0 {
            // faketime moves openssl's clock back, so notBefore lies in the past.
            arguments = ["faketime", "-f", "-\(backdate)d", "openssl"] + arguments
            let result = try run(arguments[0], Array(arguments.dropFirst()))
            if result.status != 0 { throw WalletError(.io, "faketime openssl failed: \(result.stderr)") }
        } else {
            try openssl(arguments)
        }
    }

    /// `NAME.pem`: the key `KEYNAME.key` (made if missing) with `subject`, signed by `issuer`.
    /// - Parameter kind: `ca` for an intermediate or cross-certificate, `server` for a localhost leaf.
    func issue(_ name: String, subject: String, issuer: String, days: Int, kind: String, key keyName: String? = nil) throws {
        let keyName = keyName ?? name
        if !FileManager.default.fileExists(atPath: path("\(keyName).key")) { try key(keyName) }
        try openssl(["req", "-config", path("openssl.cnf"), "-new", "-key", path("\(keyName).key"), "-subj", subject, "-out", path("\(name).csr")])
        let extensions = kind == "ca"
            ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
            : "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityKeyIdentifier=keyid\n"
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(issuer).pem"), "-CAkey", path("\(issuer).key"),
                     "-CAcreateserial", "-CAserial", path("serial"), "-sha256", "-days", String(days),
                     "-extfile", path("\(name).ext"), "-out", path("\(name).pem")])
    }

    /// Concatenates PEM files into `NAME`.
    func bundle(_ name: String, _ parts: [String]) throws {
        let text = try parts.map { try String(contentsOfFile: path($0), encoding: .utf8) }.joined()
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    /// The DER certificates in a PEM file.
    func certificates(_ name: String) throws(WalletError) -> [[UInt8]] {
        try CertificateReader.certificates(atPath: path(name)).map(\.der)
    }

    func remove() { directory.remove() }

    /// The Office365 move: an old root near expiry (10 days) that signs `old-server`, and a
    /// successor root (new subject, new key, 20 years) that signs `new-intermediate`, which signs
    /// `new-server`. `old-chain.pem` and `new-chain.pem` are what a server presents before and after.
    static func rootMove() throws -> TestPKI {
        let pki = try TestPKI()
        try pki.root("old-root", subject: "/O=Test Trust/CN=Test Global Root CA", days: 10)
        try pki.root("new-root", subject: "/O=Test Trust/CN=Test Global Root G2", days: 7300)
        try pki.issue("new-intermediate", subject: "/O=Test Trust/CN=Test TLS CA G2", issuer: "new-root", days: 3650, kind: "ca")
        try pki.issue("old-server", subject: "/CN=localhost", issuer: "old-root", days: 9, kind: "server", key: "server")
        try pki.issue("new-server", subject: "/CN=localhost", issuer: "new-intermediate", days: 365, kind: "server", key: "server")
        try pki.bundle("old-chain.pem", ["old-server.pem"])
        try pki.bundle("new-chain.pem", ["new-server.pem", "new-intermediate.pem"])
        return pki
    }
}
