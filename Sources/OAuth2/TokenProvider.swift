import Foundation

/// TokenSource obtains a fresh access token each time it is asked (one HTTP request, one
/// command run). Wrap it in a `TokenProvider` to cache.
public protocol TokenSource: Sendable {
    /// A new token.
    func fetch() throws(OAuth2Error) -> AccessToken
    /// True when the tokens are app-only (client credentials), which changes the advice given
    /// when SMTP refuses them (SMTP.SendAsApp).
    var isAppOnly: Bool { get }
}

extension TokenSource {
    /// Most sources give delegated tokens.
    public var isAppOnly: Bool { false }
}

/// TokenProvider hands out access tokens from a `TokenSource`, caching each until shortly
/// before it expires (5 minutes, or half its lifetime when that is shorter), so the queue
/// asks the identity platform once an hour rather than once a message. Safe to share between
/// threads: one fetch at a time.
public final class TokenProvider: @unchecked Sendable {
    /// Where tokens come from.
    public let source: any TokenSource
    /// The clock the expiry is checked against.
    public let clock: OAuth2Clock
    /// The most seconds before expiry at which a cached token is replaced.
    public let refreshMargin: Double
    private let lock = NSLock()
    private var cached: AccessToken?
    private var fetchedAt: Double = 0
    /// How many times the source was asked (for diagnostics and tests).
    public private(set) var fetchCount = 0

    /// Creates a provider over `source`.
    public init(source: any TokenSource, clock: OAuth2Clock = .system, refreshMargin: Double = 300) {
        self.source = source
        self.clock = clock
        self.refreshMargin = refreshMargin
    }

    /// A token valid for a while yet: the cached one, or a new one.
    /// - Parameter forceRefresh: ignore the cache (after the server refused the cached token).
    public func accessToken(forceRefresh: Bool = false) throws(OAuth2Error) -> AccessToken {
        lock.lock()
        defer { lock.unlock() }
        if !forceRefresh, let cached, clock.now() < refreshTime(cached) { return cached }
        let started = clock.now()
        let token = try source.fetch()
        fetchCount += 1
        cached = token
        fetchedAt = started
        return token
    }

    /// Forgets the cached token.
    public func invalidate() {
        lock.lock()
        cached = nil
        lock.unlock()
    }

    private func refreshTime(_ token: AccessToken) -> Double {
        let lifetime = max(0, token.expiresAt - fetchedAt)
        return token.expiresAt - min(refreshMargin, lifetime / 2)
    }
}

/// ClientCredentialsSource: app-only tokens with a client secret or a signed assertion.
public struct ClientCredentialsSource: TokenSource {
    /// How the client proves who it is.
    public enum Proof: Sendable {
        /// A client secret.
        case secret(String)
        /// A certificate: a new signed assertion per request.
        case certificate(ClientAssertionSigner)
    }

    /// The tenant's endpoints.
    public let platform: IdentityPlatform
    /// The application (client) id.
    public let clientID: String
    /// The secret or certificate.
    public let proof: Proof
    /// The scope (default Exchange Online's `.default`).
    public let scope: String

    /// Creates a source.
    public init(platform: IdentityPlatform, clientID: String, proof: Proof, scope: String = IdentityPlatform.appOnlyScope) {
        self.platform = platform
        self.clientID = clientID
        self.proof = proof
        self.scope = scope
    }

    /// App-only.
    public var isAppOnly: Bool { true }

    /// A new token.
    public func fetch() throws(OAuth2Error) -> AccessToken {
        switch proof {
        case .secret(let secret):
            return try platform.clientCredentials(clientID: clientID, secret: secret, scope: scope)
        case .certificate(let signer):
            let assertion = try signer.assertion(audience: platform.tokenURL, now: platform.clock.now())
            return try platform.clientCredentials(clientID: clientID, assertion: assertion, scope: scope)
        }
    }
}

/// RefreshTokenSource: delegated tokens from a refresh token, which the platform rotates: each
/// answer's new refresh token replaces the old one here and is handed to `store` (the wallet)
/// before the access token is used.
public final class RefreshTokenSource: TokenSource, @unchecked Sendable {
    /// The tenant's endpoints.
    public let platform: IdentityPlatform
    /// The application (client) id.
    public let clientID: String
    /// The scope (default SMTP.Send with offline_access).
    public let scope: String
    private let store: @Sendable (String) throws(OAuth2Error) -> Void
    private let lock = NSLock()
    private var refreshToken: String

    /// Creates a source; `store` keeps each rotated refresh token (e.g. in the wallet).
    public init(platform: IdentityPlatform, clientID: String, refreshToken: String, scope: String = IdentityPlatform.delegatedScope,
                store: @escaping @Sendable (String) throws(OAuth2Error) -> Void) {
        self.platform = platform
        self.clientID = clientID
        self.refreshToken = refreshToken
        self.scope = scope
        self.store = store
    }

    /// A new token; stores the rotated refresh token first.
    public func fetch() throws(OAuth2Error) -> AccessToken {
        lock.lock()
        defer { lock.unlock() }
        let token = try platform.refresh(clientID: clientID, refreshToken: refreshToken, scope: scope)
        if let rotated = token.refreshToken, rotated != refreshToken {
            try store(rotated)
            refreshToken = rotated
        }
        return token
    }
}
