// wallet-bench: opening a wallet and building the TLS trust from it, against OpenSSL loading
// the same certificates from a PEM bundle with SSL_CTX_load_verify_locations. Both in one run.
// Usage: wallet-bench WALLET_DIR BUNDLE.pem [ROUNDS]   (run by scripts/bench-wallet)
import COpenSSL
import TrustStore

#if canImport(Glibc)
import Glibc
#endif

func seconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// What `openConnection(walletPath:)` and the TLS transport do: open the wallet (no manifest),
/// then a client SSL_CTX with every DER in its store.
func walletTrust(_ path: String) -> Int32 {
    guard let wallet = try? Wallet.open(path, readingManifest: false), let ders = try? wallet.trustedCertificatesDER(),
        let ctx = SSL_CTX_new(TLS_client_method())
    else { return -1 }
    defer { SSL_CTX_free(ctx) }
    let store = SSL_CTX_get_cert_store(ctx)
    var added: Int32 = 0
    for der in ders {
        var cursor: UnsafePointer<UInt8>?
        let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 else { return -1 }
        added += X509_STORE_add_cert(store, x509)
        X509_free(x509)
    }
    ERR_clear_error()
    return added
}

/// OpenSSL alone: a client SSL_CTX loading the bundle.
func bundleTrust(_ path: String) -> Int32 {
    guard let ctx = SSL_CTX_new(TLS_client_method()) else { return -1 }
    defer { SSL_CTX_free(ctx) }
    return SSL_CTX_load_verify_locations(ctx, path, nil) == 1 ? 1 : -1
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: wallet-bench WALLET_DIR BUNDLE.pem [ROUNDS]")
    exit(2)
}
let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 200 : 200
guard walletTrust(arguments[1]) > 0, bundleTrust(arguments[2]) == 1 else {
    print("wallet-bench: cannot open \(arguments[1]) (auto-login) or load \(arguments[2])")
    exit(2)
}

/// The median of `rounds` timings, interleaved so both see the same machine load.
var walletTimes: [Double] = [], bundleTimes: [Double] = []
for _ in 0..<rounds {
    var start = seconds()
    _ = walletTrust(arguments[1])
    walletTimes.append(seconds() - start)
    start = seconds()
    _ = bundleTrust(arguments[2])
    bundleTimes.append(seconds() - start)
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let w = median(walletTimes) * 1000, b = median(bundleTimes) * 1000
print("rounds: \(rounds) (interleaved; median per round)")
print("wallet  Wallet.open + SSL_CTX trust store:        \(String(format: "%.3f", w)) ms")
print("openssl SSL_CTX_load_verify_locations(bundle): \(String(format: "%.3f", b)) ms")
print("ratio wallet/openssl: \(String(format: "%.2f", w / b)) (<= 1.00 means the wallet is at least as fast)")
