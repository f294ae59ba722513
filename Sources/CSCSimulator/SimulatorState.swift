import Foundation

/// What the simulator remembers between calls: issued tokens and SADs, injected faults, and
/// counters. Decisions only; the HTTP handlers do the I/O.
actor SimulatorState {
    struct Token {
        let client: String
        let expires: ContinuousClock.Instant
    }

    /// SAD for some hashes of one credential (SCAL 2): each authorized hash signs once.
    struct Grant {
        let client: String
        let credentialID: String
        var remaining: [[UInt8]: Int]
        let expires: ContinuousClock.Instant
    }

    enum SADCheck: Equatable {
        case ok
        case unknown
        case expired
        case hashNotAuthorized
    }

    private var tokens: [String: Token] = [:]
    private var grants: [String: Grant] = [:]
    private var downUntil: ContinuousClock.Instant?
    private var failFirstRemaining: Int
    private let failRate: Double
    private var random: SystemRandomNumberGenerator
    /// Calls by path, and the tokens issued: for `GET /admin/stats` and tests.
    private(set) var calls: [String: Int] = [:]
    private(set) var tokensIssued = 0

    init(failFirst: Int, failRate: Double) {
        failFirstRemaining = failFirst
        self.failRate = failRate
        random = SystemRandomNumberGenerator()
    }

    func count(_ path: String) {
        calls[path, default: 0] += 1
    }

    func issueToken(for client: String, lifetime: Int) -> String {
        let token = Self.randomToken()
        tokens[token] = Token(client: client, expires: .now.advanced(by: .seconds(lifetime)))
        tokensIssued += 1
        return token
    }

    /// The client a bearer token was issued to, while it is valid.
    func client(bearing token: String) -> String? {
        guard let entry = tokens[token] else { return nil }
        guard ContinuousClock.now < entry.expires else {
            tokens[token] = nil
            return nil
        }
        return entry.client
    }

    /// Every token stops working (the next API call answers 401).
    func revokeTokens() {
        tokens.removeAll()
    }

    func grant(client: String, credentialID: String, hashes: [[UInt8]], lifetime: Int) -> String {
        let sad = Self.randomToken()
        var remaining: [[UInt8]: Int] = [:]
        for hash in hashes { remaining[hash, default: 0] += 1 }
        grants[sad] = Grant(
            client: client, credentialID: credentialID, remaining: remaining,
            expires: .now.advanced(by: .seconds(lifetime)))
        return sad
    }

    /// Spends the SAD on `hashes` when it covers all of them; otherwise leaves it as it was.
    func spend(_ sad: String, client: String, credentialID: String, hashes: [[UInt8]]) -> SADCheck {
        guard var grant = grants[sad], grant.client == client, grant.credentialID == credentialID else {
            return .unknown
        }
        guard ContinuousClock.now < grant.expires else {
            grants[sad] = nil
            return .expired
        }
        for hash in hashes {
            guard let left = grant.remaining[hash], left > 0 else { return .hashNotAuthorized }
            grant.remaining[hash] = left == 1 ? nil : left - 1
        }
        grants[sad] = grant.remaining.isEmpty ? nil : grant
        return .ok
    }

    /// Whether this signHash is one of the injected failures.
    func injectFailure() -> Bool {
        if failFirstRemaining > 0 {
            failFirstRemaining -= 1
            return true
        }
        return failRate > 0 && Double.random(in: 0..<1, using: &random) < failRate
    }

    func takeDown(for duration: Duration) {
        downUntil = .now.advanced(by: duration)
    }

    func bringUp() {
        downUntil = nil
    }

    /// How long the service stays down, when it is.
    func downFor() -> Duration? {
        guard let downUntil else { return nil }
        let left = downUntil - .now
        guard left > .zero else {
            self.downUntil = nil
            return nil
        }
        return left
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
