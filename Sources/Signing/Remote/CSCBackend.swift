import CSC
import Crypto
import Foundation
import Logging

/// Signs with a remote signing service over the CSC API v2 (docs/remote-signing.md): each client
/// service with its own OAuth2 client and credential. Only SHA-256 digests leave the premises.
///
/// Transient failures (429, 503, connection errors) are retried here with full-jitter
/// exponential backoff for `retryBudget`; past it the batch fails with the retryable
/// `CERT_SERVICE_UNAVAILABLE`, and the gateway keeps the documents queued until its
/// `--remote-retry-deadline`. A circuit breaker stops calling a service that keeps failing.
/// Permanent failures end at once with Sign'Stash's codes.
public actor CSCBackend: SigningBackend {
    public struct Configuration: Sendable {
        /// How long one batch is retried here before it goes back to the gateway's queue: well
        /// under the gateway's job lease.
        public var retryBudget: Duration = .seconds(20)
        public var backoffBase: Duration = .milliseconds(200)
        public var backoffCap: Duration = .seconds(5)
        /// Consecutive transient failures that open the circuit, and how long it stays open
        /// before one call may try again.
        public var breakerThreshold = 5
        public var breakerCooldown: Duration = .seconds(5)
        /// Ask RSA credentials for RSASSA-PSS rather than PKCS#1 v1.5.
        public var preferPSS = false

        public init() {}
    }

    private struct Resolved: Sendable {
        let credential: CSCCredential
        let algorithm: CSCSignatureAlgorithm
        let identity: SigningIdentity
    }

    public nonisolated let service: CSCService
    let accounts: [String: RemoteAccount]
    let configuration: Configuration
    let logger: Logger
    private var clients: [String: CSCClient] = [:]
    private var resolving: [String: Task<Resolved, any Error>] = [:]
    private var breaker: CircuitBreaker
    private let clock = ContinuousClock()

    public init(
        service: CSCService, accounts: [String: RemoteAccount], configuration: Configuration = .init(), logger: Logger
    ) {
        self.service = service
        self.accounts = accounts
        self.configuration = configuration
        self.logger = logger
        self.breaker = CircuitBreaker(
            threshold: configuration.breakerThreshold, cooldown: configuration.breakerCooldown)
    }

    public func identity(for client: String) async throws -> SigningIdentity {
        try await withRetries(client) { try await self.resolve(client).identity }
    }

    public func maxBatch(for client: String) async -> Int {
        (try? await resolve(client))?.credential.multisign ?? 1
    }

    public nonisolated func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]] {
        try await sign(Digests(values: digests), for: client)
    }

    /// Digests are immutable values; this swift-crypto does not mark them Sendable.
    private struct Digests: @unchecked Sendable {
        let values: [SHA256.Digest]
    }

    private func sign(_ digests: Digests, for client: String) async throws -> [[UInt8]] {
        try await withRetries(client) {
            let resolved = try await self.resolve(client)
            let signatures = try await Self.signHash(digests, with: self.client(client), resolved)
            guard signatures.count == digests.values.count else {
                throw CSCError.protocolError(
                    "signHash answered \(signatures.count) signatures for \(digests.values.count) hashes")
            }
            return signatures
        }
    }

    private nonisolated static func signHash(_ digests: Digests, with client: CSCClient, _ resolved: Resolved)
        async throws -> [[UInt8]]
    {
        try await client.sign(digests.values, with: resolved.credential, algorithm: resolved.algorithm)
    }

    /// Whether calls go through now: `closed`, or `open` with the time left before a call may try.
    public var circuit: CircuitBreaker.State { breaker.state(at: clock.now) }

    // MARK: - Retries

    private func withRetries<T: Sendable>(_ client: String, _ call: () async throws -> T) async throws -> T {
        let started = clock.now
        var failures = 0
        while true {
            let error: CSCError
            if let wait = breaker.remaining(at: clock.now) {
                error = .transient("the circuit to the signing service is open", retryAfter: wait)
            } else {
                do {
                    let value = try await call()
                    breaker.succeeded()
                    return value
                } catch let failure as CSCError {
                    error = failure
                } catch let failure as SigningError {
                    throw failure
                } catch {
                    throw SigningError(code: "CERT_SERVICE_GLOBAL_ERROR", message: "remote signing failed: \(error)")
                }
                if error.isTransient {
                    if breaker.failed(at: clock.now) {
                        logger.warning(
                            "remote signing service failing: circuit open",
                            metadata: ["csc.failures": "\(breaker.failures)", "csc.error": "\(error.code)"])
                    }
                } else {
                    // Credentials or certificate may be fixed at the service: ask again next time.
                    resolving[client] = nil
                    throw Self.signingError(error, client: client)
                }
            }
            failures += 1
            let wait = max(error.retryAfter ?? .zero, backoff(after: failures))
            guard started.duration(to: clock.now) + wait <= configuration.retryBudget else {
                throw SigningError(
                    code: "CERT_SERVICE_UNAVAILABLE",
                    message: "the remote signing service is unavailable: \(error.message)",
                    retryAfter: wait)
            }
            try await clock.sleep(for: wait)
        }
    }

    /// Full jitter: a random wait up to `base × 2^(failures-1)`, capped.
    private func backoff(after failures: Int) -> Duration {
        let ceiling = min(configuration.backoffCap, configuration.backoffBase * (1 << min(failures - 1, 20)))
        let nanoseconds = ceiling.nanoseconds
        return .nanoseconds(nanoseconds > 0 ? Int64.random(in: 0...nanoseconds) : 0)
    }

    /// Sign'Stash's codes for what cannot get better by waiting.
    static func signingError(_ error: CSCError, client: String) -> SigningError {
        switch error {
        case .invalidClient(let message):
            SigningError(code: "INVALID_CERT_SERVICE_CREDS", message: "client service \(client): \(message)")
        case .credentialNotAllowed(let message):
            SigningError(code: "INVALID_CERT_ACCESS_ACCOUNT", message: "client service \(client): \(message)")
        case .certificateUnusable(let message):
            SigningError(code: "INVALID_CERTIFICATE_SIGN_ERROR", message: "client service \(client): \(message)")
        case .protocolError(let message), .transient(let message, _):
            SigningError(code: "CERT_SERVICE_GLOBAL_ERROR", message: "client service \(client): \(message)")
        }
    }

    // MARK: - Credentials

    private func client(_ client: String) throws -> CSCClient {
        if let existing = clients[client] { return existing }
        guard let account = accounts[client] else {
            throw SigningError(
                code: "INVALID_CERT_SERVICE_CREDS",
                message: "client service \(client) has no remote account (client-services-config.json)")
        }
        let created = CSCClient(
            service: service, clientID: account.clientID, clientSecret: account.clientSecret, logger: logger)
        clients[client] = created
        return created
    }

    /// The client's credential and identity, fetched once (concurrent callers share the fetch;
    /// a failed fetch is forgotten, so the next call asks again).
    private func resolve(_ client: String) async throws -> Resolved {
        let task: Task<Resolved, any Error>
        if let existing = resolving[client] {
            task = existing
        } else {
            let (cscClient, wanted, preferPSS) = (
                try self.client(client), accounts[client]?.credentialID, configuration.preferPSS
            )
            task = Task {
                let credential = try await cscClient.credential(named: wanted)
                guard let algorithm = credential.signatureAlgorithm(preferPSS: preferPSS) else {
                    throw CSCError.certificateUnusable(
                        "credential \(credential.id) offers no RSA or ECDSA signature over SHA-256")
                }
                let leaf = try credential.certificate
                let identity = SigningIdentity(
                    chain: try credential.chain.map { try CertificateDER(der: $0) },
                    algorithm: Self.signatureAlgorithm(algorithm),
                    signerName: leaf.subject.commonName ?? leaf.subject.description)
                return Resolved(credential: credential, algorithm: algorithm, identity: identity)
            }
            resolving[client] = task
        }
        do {
            return try await task.value
        } catch {
            if resolving[client] == task { resolving[client] = nil }
            throw error
        }
    }

    static func signatureAlgorithm(_ algorithm: CSCSignatureAlgorithm) -> SignatureAlgorithm {
        switch algorithm {
        case .rsaPKCS1SHA256: .rsaPKCS1SHA256
        case .rsaPSSSHA256: .rsaPSSSHA256
        case .ecdsaSHA256: .ecdsaSHA256
        }
    }
}

/// Stops calling a service that keeps failing: `threshold` transient failures in a row open it
/// for `cooldown`; then one call may try, and one more failure opens it again.
public struct CircuitBreaker: Sendable {
    public enum State: Sendable, Equatable {
        case closed
        case open(retryAfter: Duration)
    }

    let threshold: Int
    let cooldown: Duration
    private(set) var failures = 0
    private var openUntil: ContinuousClock.Instant?

    init(threshold: Int, cooldown: Duration) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
    }

    func remaining(at now: ContinuousClock.Instant) -> Duration? {
        guard let openUntil, now < openUntil else { return nil }
        return now.duration(to: openUntil)
    }

    func state(at now: ContinuousClock.Instant) -> State {
        remaining(at: now).map { .open(retryAfter: $0) } ?? .closed
    }

    /// Returns true when this failure opened the circuit.
    mutating func failed(at now: ContinuousClock.Instant) -> Bool {
        failures += 1
        guard failures >= threshold, remaining(at: now) == nil else { return false }
        openUntil = now.advanced(by: cooldown)
        return true
    }

    mutating func succeeded() {
        failures = 0
        openUntil = nil
    }
}
