/// The access token a client holds: kept until shortly before `expires_in`, dropped when the
/// service answers 401 to it. A value type with the time passed in, so tests move time.
struct TokenCache: Sendable {
    struct Entry: Sendable {
        let token: String
        let renewAt: ContinuousClock.Instant
    }

    private(set) var entry: Entry?

    /// The lifetime assumed when the token endpoint gives no `expires_in`.
    static let assumedLifetime = 300

    /// The token, unless it is due for renewal at `now`.
    func token(at now: ContinuousClock.Instant) -> String? {
        guard let entry, now < entry.renewAt else { return nil }
        return entry.token
    }

    mutating func store(_ token: String, expiresIn: Int?, receivedAt now: ContinuousClock.Instant) {
        entry = Entry(token: token, renewAt: now.advanced(by: Self.usableFor(expiresIn: expiresIn)))
    }

    /// Forgets `token` after a 401; a newer token stays.
    mutating func invalidate(_ token: String) {
        if entry?.token == token { entry = nil }
    }

    /// How long a token is used: its lifetime less a margin (a tenth of it, at most 30 s) for
    /// clock skew and the time a request takes.
    static func usableFor(expiresIn: Int?) -> Duration {
        let lifetime = Duration.seconds(max(0, expiresIn ?? assumedLifetime))
        return lifetime - min(.seconds(30), lifetime / 10)
    }
}

/// One token request at a time per client: callers that need a token while one is being fetched
/// wait for that one.
actor TokenSource {
    private var cache = TokenCache()
    private var fetching: Task<TokenResponse, any Error>?
    private let fetch: @Sendable () async throws -> TokenResponse
    /// Token requests made, for tests and metrics.
    private(set) var requests = 0

    init(fetch: @escaping @Sendable () async throws -> TokenResponse) {
        self.fetch = fetch
    }

    func token() async throws(CSCError) -> String {
        if let token = cache.token(at: .now) { return token }
        let task: Task<TokenResponse, any Error>
        if let fetching {
            task = fetching
        } else {
            requests += 1
            let fetch = self.fetch
            task = Task { try await fetch() }
            fetching = task
        }
        let result = await task.result
        if fetching == task { fetching = nil }
        switch result {
        case .success(let response):
            if cache.entry?.token != response.accessToken {
                cache.store(response.accessToken, expiresIn: response.expiresIn, receivedAt: .now)
            }
            return response.accessToken
        case .failure(let error as CSCError):
            throw error
        case .failure(let error):
            throw .transient("oauth2/token: \(error)", retryAfter: nil)
        }
    }

    func invalidate(_ token: String) {
        cache.invalidate(token)
    }
}
